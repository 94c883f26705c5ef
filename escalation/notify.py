"""Notifiers: how a fired rung reaches people. In-app rows now; SMS or 政务微信 can plug in."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.errors import NotFound
from escalation.models import Notification

log = logging.getLogger(__name__)

# Parameters that hold an instant, stored as ISO 8601 in UTC; pages show them in local time.
INSTANT_PARAMS = frozenset({"deadline", "old_deadline", "new_deadline"})
# Parameters that hold a limit as written in policies (2wd); pages read them in words.
LIMIT_PARAMS = frozenset({"extension", "late"})


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


def notifications_for(session: Session, user_id: int, *, unread_only: bool, limit: int) -> list[Notification]:
    """A user's notifications, newest first."""
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(session.execute(query.order_by(Notification.id.desc()).limit(limit)).scalars())


def mark_read(session: Session, user_id: int, notification_id: int, now: datetime) -> Notification:
    """Mark one of the user's notifications read; NotFound for anyone else's."""
    found = session.get(Notification, notification_id)
    if found is None or found.user_id != user_id:
        raise NotFound("Notification {id} not found.", id=notification_id)
    if found.read_at is None:
        found.read_at = now
    return found


def mark_all_read(session: Session, user_id: int, now: datetime) -> int:
    """Mark every unread notification of the user read; how many there were."""
    return session.execute(update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
                           .values(read_at=now).execution_options(synchronize_session=False)).rowcount


def close_for_case(session: Session, instance_id: int, now: datetime) -> int:
    """Mark every unread notification about a case read (its reminders mean nothing once it is gone)."""
    return session.execute(update(Notification).where(Notification.instance_id == instance_id,
                                                      Notification.read_at.is_(None))
                           .values(read_at=now).execution_options(synchronize_session=False)).rowcount


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
