"""Notifiers: how a fired rung reaches people. In-app rows now; SMS or 政务微信 can plug in."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from escalation.models import Notification

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    """What to tell one user, as an English template with parameters (translated when shown)."""

    user_id: int
    kind: str
    template: str
    params: dict[str, Any]
    instance_id: int | None = None
    task_id: int | None = None
    escalation_id: int | None = None


class Notifier(Protocol):
    """Delivers messages inside the caller's transaction (so they vanish if it rolls back)."""

    def send(self, session: Session, messages: list[Message], now: datetime) -> None:
        """Deliver every message."""
        ...


class InAppNotifier:
    """Writes notification rows users see in their notifications panel; logs each one too."""

    def send(self, session: Session, messages: list[Message], now: datetime) -> None:
        """Insert one notification row per message."""
        for message in messages:
            session.add(Notification(
                user_id=message.user_id, kind=message.kind, template=message.template, params=message.params,
                instance_id=message.instance_id, task_id=message.task_id, escalation_id=message.escalation_id,
                created_at=now,
            ))
            log.info("notify user %s: %s (case %s)", message.user_id, message.kind, message.instance_id)
