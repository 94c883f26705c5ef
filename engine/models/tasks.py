"""The inbox projection: one row per human task, synced from the workflow on every save."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.models.base import Base, JsonColumn, UTCDateTime
from engine.models.instances import ProcessInstance
from engine.models.organisation import Department, User


class TaskStatus(enum.StrEnum):
    """Where a human task stands."""

    OPEN = "open"  # waiting in the department queue, nobody has claimed it
    CLAIMED = "claimed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"  # the workflow removed it (boundary event, cancelled instance)


ACTIVE_STATUSES = (TaskStatus.OPEN, TaskStatus.CLAIMED)


class HumanTask(Base):
    """A user task waiting for, held by, or done by a department's staff."""

    __tablename__ = "human_task"
    __table_args__ = (
        UniqueConstraint("instance_id", "spiff_task_id", name="uq_human_task_instance_spiff"),
        # The department queue: open/claimed tasks of one department, oldest first.
        Index("ix_human_task_queue", "department_id", "status", "created_at"),
        Index("ix_human_task_assignee", "assignee_id", "status", "created_at"),
        # "My completed tasks": without it the history tab scans the whole table.
        Index("ix_human_task_done", "completed_by_id", "status", "completed_at"),
        Index("ix_human_task_instance", "instance_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    process_id: Mapped[str] = mapped_column(String(128))
    element_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(64))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[TaskStatus] = mapped_column(
        Enum(TaskStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    form_key: Mapped[str | None] = mapped_column(String(128))
    properties: Mapped[dict[str, Any]] = mapped_column(JsonColumn, default=dict)
    # The places the task is about (``street``, ``department`` from the task data), e.g. which
    # summoned department's result a street officer is verifying.
    context: Mapped[dict[str, Any]] = mapped_column(JsonColumn, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    instance: Mapped[ProcessInstance] = relationship(lazy="raise")
    department: Mapped[Department | None] = relationship(lazy="raise")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="raise")
