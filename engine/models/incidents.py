"""Incidents: a case that cannot move on by itself, with the reason and the element, until repaired."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.models.base import Base, JsonColumn, UTCDateTime


class IncidentStatus(enum.StrEnum):
    """Whether an operator still has to act."""

    OPEN = "open"
    RESOLVED = "resolved"


class Incident(Base):
    """Why one case is stuck: its reason is a translatable template, its detail the raw error."""

    __tablename__ = "incident"
    __table_args__ = (
        Index("ix_incident_status_created", "status", "created_at"),
        Index("ix_incident_instance_status", "instance_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    # stuck | step_failed | timer_failed | timer_unreadable | deadline_failed
    kind: Mapped[str] = mapped_column(String(32))
    element_id: Mapped[str | None] = mapped_column(String(128))
    template: Mapped[str] = mapped_column(String(300))
    params: Mapped[dict[str, Any]] = mapped_column(JsonColumn, default=dict)
    detail: Mapped[str | None] = mapped_column(String(2000))  # the technical error, for IT staff
    # What the incident is about besides the case, e.g. the deadline rung that kept failing.
    subject: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[IncidentStatus] = mapped_column(
        Enum(IncidentStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    occurrences: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    resolution: Mapped[str | None] = mapped_column(String(1000))
