"""Tables of escalation: policies, deadline rows, escalations, notifications, extension requests.

They share the engine's metadata (one schema, one migration history) but only escalation
writes them.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from engine.models.base import Base, JsonColumn, UTCDateTime

_BIG_ID = BigInteger().with_variant(Integer, "sqlite")


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class SlaPolicy(Base):
    """One version of a policy file; tasks take the newest version when they are created."""

    __tablename__ = "sla_policy"
    __table_args__ = (UniqueConstraint("process_key", "version", name="uq_sla_policy_key_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(128))
    version: Mapped[int]
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TaskDeadline(Base):
    """One rung of one clock of one task: when it is due, and whether it fired or stopped."""

    __tablename__ = "task_deadline"
    __table_args__ = (
        UniqueConstraint("task_id", "clock", "level", name="uq_task_deadline_rung"),
        # The sweep's only question: which live rungs are due? A partial index keeps it
        # proportional to the live rows, not to history.
        Index("ix_task_deadline_live_due", "due_at",
              postgresql_where=text("fired_at IS NULL AND stopped_at IS NULL"),
              sqlite_where=text("fired_at IS NULL AND stopped_at IS NULL")),
        Index("ix_task_deadline_task", "task_id"),
        Index("ix_task_deadline_overdue", "is_due_level", "deadline_at",
              postgresql_where=text("stopped_at IS NULL"), sqlite_where=text("stopped_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id", ondelete="CASCADE"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("sla_policy.id"))
    clock: Mapped[str] = mapped_column(String(16))  # report_in | complete
    rule: Mapped[str] = mapped_column(String(32))  # the task's BPMN `clock` property, e.g. sign, arrive
    level: Mapped[int]
    action: Mapped[str] = mapped_column(String(32))
    is_due_level: Mapped[bool] = mapped_column(default=False)
    limit: Mapped[str] = mapped_column(String(16))
    calendar: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the 100% instant of this clock
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())  # when this rung fires
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    # Years the calendar had no holiday data for (weekends only were assumed).
    missing_years: Mapped[list[int]] = mapped_column(JsonColumn, default=list)


class EscalationRecord(Base):
    """A rung that fired: what happened, to whom, how late."""

    __tablename__ = "escalation_record"
    __table_args__ = (Index("ix_escalation_record_fired", "fired_at"),)

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    deadline_id: Mapped[int] = mapped_column(ForeignKey("task_deadline.id", ondelete="CASCADE"), unique=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id", ondelete="CASCADE"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    clock: Mapped[str] = mapped_column(String(16))
    level: Mapped[int]
    action: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime())
    targets: Mapped[list[str]] = mapped_column(JsonColumn, default=list)  # usernames reached


class Notification(Base):
    """An in-app message for one user (the outbox other channels read from)."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    template: Mapped[str] = mapped_column(String(300))
    params: Mapped[dict[str, Any]] = mapped_column(JsonColumn, default=dict)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id", ondelete="CASCADE"))
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalation_record.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ExtensionStatus(enum.StrEnum):
    """Where an extension request (延期申请) stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ExtensionRequest(Base):
    """Staff ask for more time on a task's clock; the department head decides."""

    __tablename__ = "extension_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id", ondelete="CASCADE"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    clock: Mapped[str] = mapped_column(String(16))
    extension: Mapped[str] = mapped_column(String(16))  # a limit added to the deadline, e.g. 2wd
    reason: Mapped[str] = mapped_column(String(1000))
    status: Mapped[ExtensionStatus] = mapped_column(_enum(ExtensionStatus))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str | None] = mapped_column(String(1000))
    old_deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    new_deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
