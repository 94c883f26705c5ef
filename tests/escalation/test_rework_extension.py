"""An extension approved for a department's step survives the street sending the step back (退回重办)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from escalation import extensions
from escalation.config import Escalation
from escalation.models import TaskDeadline
from tests.support import SHANGHAI, WHISTLE_ANSWERS, Flow


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A 2026 Beijing instant."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def deadline(flow: Flow, task_id: int, clock: str = "complete") -> datetime:
    """The deadline of one clock of a task, in Beijing time."""
    with flow.db.transaction(write=False) as session:
        return session.execute(select(TaskDeadline.deadline_at).where(
            TaskDeadline.task_id == task_id, TaskDeadline.clock == clock,
            TaskDeadline.is_due_level.is_(True))).scalar_one().astimezone(SHANGHAI)


def extend(flow: Flow, esc: Escalation, task_id: int, extension: str, *, approve: bool = True) -> None:
    """CGW's staff ask for ``extension`` on the completion clock; CGW's head decides."""
    with flow.db.transaction() as session:
        asked = extensions.request(session, esc, flow.actor("CGW.staff"), task_id, clock="complete",
                                   extension=extension, reason="需协调产权单位", now=flow.clock.now())
    with flow.db.transaction() as session:
        extensions.decide(session, esc, flow.actor("CGW.head"), asked.id, approve=approve, note="同意",
                          now=flow.clock.now())


def send_back(flow: Flow, case: int, task_id: int) -> int:
    """CGW reports its result, the street finds it not done; returns the new handling task."""
    flow.complete(task_id, WHISTLE_ANSWERS["Task_handle"], as_="CGW.staff")
    verify = [t for t in flow.open_tasks(case, "Task_verify") if t.context.get("department") == "CGW"]
    flow.complete(verify[0].id, {"satisfied": False, "comment": "现场仍有违建，请继续拆除"}, as_="HP.officer")
    again = flow.task(case, "Task_handle", "CGW")
    assert again.id != task_id
    return again.id


def test_the_redone_task_keeps_the_approved_extension(flow: Flow, esc: Escalation) -> None:
    flow.deploy_policy()
    case = flow.blow(departments=["CGW"])  # Monday 2026-09-28 09:00, 违法建设: 7wd from the whistle
    flow.complete(flow.task(case, "Task_sign", "CGW").id, {}, as_="CGW.dispatcher")
    flow.complete(flow.task(case, "Task_report_in", "CGW").id, {"on_site_staff": "两人"}, as_="CGW.staff")
    handle = flow.task(case, "Task_handle", "CGW").id
    assert deadline(flow, handle) == at(10, 13, 17, 30)
    extend(flow, esc, handle, "2wd")
    extend(flow, esc, handle, "1wd", approve=False)  # a refused request moves nothing, now or later
    assert deadline(flow, handle) == at(10, 15, 17, 30)
    again = send_back(flow, case, handle)
    assert deadline(flow, again) == at(10, 15, 17, 30)  # not back to 10-13
    with flow.db.transaction(write=False) as session:
        rungs = {r.level: r.due_at.astimezone(SHANGHAI) for r in session.execute(
            select(TaskDeadline).where(TaskDeadline.task_id == again, TaskDeadline.clock == "complete")).scalars()}
    assert rungs[3] == at(10, 15, 17, 30) and rungs[4] == at(10, 16, 17, 30)  # every rung counts from it
    # A second extension on the redone task adds to the first; a second rework keeps both.
    extend(flow, esc, again, "1wd")
    assert deadline(flow, again) == at(10, 16, 17, 30)
    third = send_back(flow, case, again)
    assert deadline(flow, third) == at(10, 16, 17, 30)
