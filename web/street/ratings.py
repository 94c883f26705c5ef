"""The marks the street gave each department of one whistle (评价), shown on the board once given."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import HumanTask, TaskEvent
from escalation.boards import RatingForms, rating_forms


def case_ratings(session: Session, instance_id: int, forms: RatingForms | None = None) -> dict[str, dict[str, int]]:
    """Each rated department's marks (the rating form's integer fields) on this whistle, by department code."""
    forms = rating_forms(session) if forms is None else forms
    found: dict[str, dict[str, int]] = {}
    for payload, context in session.execute(
            select(TaskEvent.payload, HumanTask.context)
            .join(HumanTask, HumanTask.id == TaskEvent.task_id)
            .where(HumanTask.instance_id == instance_id, HumanTask.form_key.in_(sorted(forms.keys)),
                   TaskEvent.action == "completed")
            .order_by(TaskEvent.id)):
        code = (context or {}).get("department")
        data = (payload or {}).get("data") or {}
        if isinstance(code, str):
            found[code] = {name: data[name] for name in forms.names
                           if isinstance(data.get(name), int) and not isinstance(data.get(name), bool)}
    return found
