"""Live counts for a process diagram: how many tasks wait at each element of one version."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.models import HumanTask, InstanceStatus, ProcessInstance
from engine.models.tasks import ACTIVE_STATUSES


def waiting_counts(session: Session, definition_id: int) -> dict[str, int]:
    """Open or claimed human tasks per BPMN element id, across the running cases of one definition version."""
    rows = session.execute(
        select(HumanTask.element_id, func.count(HumanTask.id))
        # From the instance side: process_instance.definition_id and human_task.instance_id are both indexed.
        .select_from(ProcessInstance)
        .join(HumanTask, HumanTask.instance_id == ProcessInstance.id)
        .where(ProcessInstance.definition_id == definition_id,
               ProcessInstance.status == InstanceStatus.RUNNING,
               HumanTask.status.in_(ACTIVE_STATUSES))
        .group_by(HumanTask.element_id)
    )
    return {element: int(count) for element, count in rows}
