"""The notice a department head's decision on an extension sends back to whoever asked."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import HumanTask, ProcessInstance
from escalation.models import ExtensionRequest, ExtensionStatus
from escalation.notify import Message

# English templates, translated where they are shown: by decision, whether a deadline moved, whether a note came.
TEMPLATES = {
    ("approved", True, False): "Your extension of {extension} on {task} of case {case} was approved by {head}: "
                               "the new deadline is {new_deadline}.",
    ("approved", True, True): "Your extension of {extension} on {task} of case {case} was approved by {head}: "
                              "the new deadline is {new_deadline}. Note: {note}",
    ("approved", False, False): "Your extension of {extension} on {task} of case {case} was approved by {head}.",
    ("approved", False, True): "Your extension of {extension} on {task} of case {case} was approved by {head}. "
                               "Note: {note}",
    ("rejected", False, False): "Your extension of {extension} on {task} of case {case} was rejected by {head}.",
    ("rejected", False, True): "Your extension of {extension} on {task} of case {case} was rejected by {head}. "
                               "Note: {note}",
}


def decision_message(session: Session, row: ExtensionRequest, task: HumanTask, head: str) -> Message:
    """Tell the asker the decision with the case, the new deadline (stored in UTC) and the head's note."""
    approved = row.status == ExtensionStatus.APPROVED
    moved = approved and row.new_deadline_at is not None
    title = session.execute(select(ProcessInstance.title).where(ProcessInstance.id == row.instance_id)).scalar()
    params: dict[str, Any] = {
        "extension": row.extension, "task": task.name, "case": title or "", "case_id": row.instance_id,
        "head": head, "note": row.decision_note or "",
        "new_deadline": row.new_deadline_at.isoformat() if moved and row.new_deadline_at else None,
    }
    template = TEMPLATES[("approved" if approved else "rejected", moved, bool(row.decision_note))]
    kind = "extension_approved" if approved else "extension_rejected"
    return Message(row.requested_by_id, kind, template, params, row.instance_id, task.id)
