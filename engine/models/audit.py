"""Append-only history of every action on an instance."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.models.base import Base, JsonColumn, UTCDateTime


class TaskEvent(Base):
    """Who did what, when, with which data. Rows are only ever inserted."""

    __tablename__ = "task_event"
    __table_args__ = (
        Index("ix_task_event_instance", "instance_id", "id"),
        # A task's own history (ratings, the case page): without it, a scan of every event.
        Index("ix_task_event_task", "task_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    action: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    payload: Mapped[dict[str, Any]] = mapped_column(JsonColumn, default=dict)
