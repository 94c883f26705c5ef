"""Running and finished process instances, and the departments taking part in each."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from engine.models.base import Base, JsonColumn, UTCDateTime
from engine.models.definitions import ProcessDefinition


class InstanceStatus(enum.StrEnum):
    """Lifecycle of a process instance."""

    RUNNING = "running"
    SUSPENDED = "suspended"  # held by an administrator: nothing moves until it is resumed
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ProcessInstance(Base):
    """One case: the serialized workflow (without its spec) plus what lists need to show."""

    __tablename__ = "process_instance"
    __table_args__ = (Index("ix_process_instance_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(128))
    business_key: Mapped[str | None] = mapped_column(String(128), index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[InstanceStatus] = mapped_column(
        Enum(InstanceStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    state: Mapped[str] = mapped_column(Text)
    # Bumped on every save; a writer whose revision is stale is refused, never overwrites.
    revision: Mapped[int] = mapped_column(default=1)
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    origin_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The case this one was started from, when a step of that case offered it (engine/case_links.py).
    linked_from_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    # The start data as submitted: the shared case record every participant may read.
    case_data: Mapped[dict[str, Any]] = mapped_column(JsonColumn, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    definition: Mapped[ProcessDefinition] = relationship(lazy="raise")
    # How many open incidents the case had when ``engine.instances.lock`` read it; None once the
    # row is read or refreshed otherwise (``engine.instances.Mutation`` keeps the count).
    open_incidents: Mapped[int | None] = query_expression()

    # The ORM adds "AND revision = :old" to every UPDATE and raises StaleDataError on 0 rows.
    __mapper_args__ = {"version_id_col": revision}


class InstanceDepartment(Base):
    """A department takes part in a case (it started it, or one of its tasks is summoned there)."""

    __tablename__ = "instance_department"

    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instance.id", ondelete="CASCADE"), primary_key=True
    )
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), primary_key=True, index=True)
