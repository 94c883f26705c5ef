"""Writing to and reading from the append-only action history."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from engine.models import Department, TaskEvent, User


def record(
    session: Session,
    action: str,
    *,
    at: datetime,
    instance_id: int | None = None,
    task_id: int | None = None,
    actor_id: int | None = None,
    department_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> TaskEvent:
    """Append one history row; rows are never updated or deleted."""
    event = TaskEvent(
        instance_id=instance_id,
        task_id=task_id,
        actor_id=actor_id,
        department_id=department_id,
        action=action,
        at=at,
        payload=payload or {},
    )
    session.add(event)
    return event


def instance_history(instance_id: int) -> Select[tuple[TaskEvent, str | None, str | None, str | None]]:
    """Every action on an instance, oldest first, with actor and department names."""
    return (
        select(TaskEvent, User.username, User.display_name, Department.name)
        .outerjoin(User, User.id == TaskEvent.actor_id)
        .outerjoin(Department, Department.id == TaskEvent.department_id)
        .where(TaskEvent.instance_id == instance_id)
        .order_by(TaskEvent.id)
    )
