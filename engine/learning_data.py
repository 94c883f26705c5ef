"""What models learn from: people's recorded decisions on a form, and the category catalogue for a cold start."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from engine import catalog
from engine.learned_choices import MAX_TEXT, Example
from engine.learning_plans import LearningPlan
from engine.models import HumanTask, ProcessInstance, TaskEvent, TaskStatus

MAX_LABEL = 128
MAX_TOKEN_VALUE = 64
RULED_TOKEN = "(rules)"  # no field name has brackets: no case field's token can pass for it
BATCH = 5000  # decisions read by one training; the next training reads on from where it stopped


def example_of(plan: LearningPlan, data: Mapping[str, Any], label: str = "", ruled: Any = None) -> Example:
    """What a model reads of a case's data: the text fields joined, the token fields as ``name=value``.

    ``ruled`` is what the decision table said for the case: as a token of its own, the model learns
    when people follow the rules and when the words make them choose otherwise.
    """
    text = " ".join(v for v in (data.get(name) for name in plan.text) if isinstance(v, str))[:MAX_TEXT]
    tokens = tuple(f"{name}={value}" for name in plan.tokens
                   if isinstance(value := data.get(name), str | int) and not isinstance(value, bool)
                   and 0 < len(str(value)) <= MAX_TOKEN_VALUE)
    if isinstance(ruled, str) and 0 < len(ruled) <= MAX_TOKEN_VALUE:
        tokens += (f"{RULED_TOKEN}={ruled}",)
    return Example(text, tokens, label)


def recorded(session: Session, process_key: str, plan: LearningPlan, *, after_event: int = 0, limit: int = BATCH,
             rules: Callable[[Mapping[str, Any]], Any] | None = None) -> list[tuple[int, Example]]:
    """People's decisions after completion event ``after_event``, oldest first: (event id, example).

    ``rules`` gives what the decision table says for a case's data (its value becomes a token).
    """
    rows = session.execute(
        select(TaskEvent.id, TaskEvent.payload, ProcessInstance.case_data)
        .join(HumanTask, and_(TaskEvent.task_id == HumanTask.id, TaskEvent.action == "completed"))
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(ProcessInstance.process_key == process_key, HumanTask.form_key == plan.form,
               HumanTask.status == TaskStatus.COMPLETED, TaskEvent.id > after_event)
        .order_by(TaskEvent.id).limit(limit))
    found = []
    for event_id, payload, case_data in rows:
        label = ((payload or {}).get("data") or {}).get(plan.field) if isinstance(payload, dict) else None
        if isinstance(label, str) and 0 < len(label) <= MAX_LABEL and isinstance(case_data, dict):
            found.append((event_id, example_of(plan, case_data, label, rules(case_data) if rules else None)))
    return found


def catalogue(session: Session, plan: LearningPlan) -> list[Example]:
    """One example per category: its name as text, its code as the catalogue field's token, its lead owner."""
    if plan.catalogue is None:
        return []
    return [Example(info.name, (f"{plan.catalogue}={info.code}",), info.owner) for info in catalog.categories(session)]
