"""The marks the street gave each department of one whistle (评价), shown on the board once given."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import HumanTask, TaskEvent
from escalation.boards import RATING_ELEMENT, RATING_FIELDS


def case_ratings(session: Session, instance_id: int) -> dict[str, dict[str, int]]:
    """Each rated department's marks (speed, cooperation, fulfilment: 1–5) on this whistle, by department code."""
    found: dict[str, dict[str, int]] = {}
    for payload, context in session.execute(
            select(TaskEvent.payload, HumanTask.context)
            .join(HumanTask, HumanTask.id == TaskEvent.task_id)
            .where(HumanTask.instance_id == instance_id, HumanTask.element_id == RATING_ELEMENT,
                   TaskEvent.action == "completed")
            .order_by(TaskEvent.id)):
        code = (context or {}).get("department")
        data = (payload or {}).get("data") or {}
        if isinstance(code, str):
            found[code] = {name: data[name] for name in RATING_FIELDS
                           if isinstance(data.get(name), int) and not isinstance(data.get(name), bool)}
    return found
