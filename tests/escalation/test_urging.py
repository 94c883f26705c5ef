"""督办 and 催办 by hand: who may send them, whom they reach, what the history keeps."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.models import TaskEvent, User
from escalation import urging
from escalation.config import Escalation
from escalation.models import Notification
from tests.support import SHANGHAI, Flow


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A 2026 Beijing instant."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def whistle(flow: Flow) -> int:
    """An enforcement whistle summoning CGW, Monday 2026-09-28 09:00 (sign within 2wh)."""
    flow.deploy_policy()
    return flow.blow(departments=["CGW"])


def urge(flow: Flow, esc: Escalation, username: str, task_id: int, kind: str = "duban",
         note: str = "") -> urging.Urging:
    """Urge as ``username`` at the fake clock's now, in one transaction."""
    with flow.db.transaction() as session:
        return urging.urge(session, esc, flow.actor(username), task_id, kind, note, flow.clock.now())


def notes_of(flow: Flow, username: str) -> list[Notification]:
    """Every notification of one user, oldest first."""
    with flow.db.transaction(write=False) as session:
        user = session.execute(select(User).where(User.username == username)).scalar_one()
        return list(session.execute(select(Notification).where(Notification.user_id == user.id)
                                    .order_by(Notification.id)).scalars())


def test_supervision_urges_an_overdue_task_to_the_head_and_whoever_may_take_it(
        flow: Flow, whistle: int, esc: Escalation) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW")
    flow.clock.set(at(9, 28, 12, 0))
    flow.sweep(esc)
    sent = urge(flow, esc, "DCS.supervisor", sign.id, "duban", "  请今天下班前签收  ")
    assert sent.targets == ["CGW.dispatcher", "CGW.head"]  # unclaimed: everyone who may sign is told
    assert (sent.kind, sent.note, sent.overdue, sent.level) == (urging.UrgeKind.DUBAN, "请今天下班前签收", True, 3)
    note = notes_of(flow, "CGW.head")[-1]
    assert note.kind == "duban" and note.task_id == sign.id and note.instance_id == whistle
    assert note.escalation_id is None
    assert note.template == urging.TEMPLATES[(urging.UrgeKind.DUBAN, True)]
    assert note.params["actor"] == "区委区政府督查室督办员" and note.params["note"] == "请今天下班前签收"
    assert notes_of(flow, "CGW.dispatcher")[-1].kind == "duban"
    with flow.db.transaction(write=False) as session:
        event = session.get(TaskEvent, sent.event_id)
        assert event is not None and event.action == "urged" and event.task_id == sign.id
        assert event.payload == {"task": "签收", "kind": "duban", "note": "请今天下班前签收",
                                 "targets": ["CGW.dispatcher", "CGW.head"], "overdue": True, "level": 3}
        assert event.actor_id == flow.actor("DCS.supervisor").user_id


def test_a_task_on_time_can_be_urged_and_a_claimed_one_reaches_its_holder(
        flow: Flow, whistle: int, esc: Escalation) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW")
    flow.claim(sign.id, as_="CGW.head")  # a head may take the task himself: he is reached once
    flow.clock.set(at(9, 28, 9, 30))
    sent = urge(flow, esc, "QLD.leader", sign.id, "cuiban")
    assert (sent.overdue, sent.level, sent.targets) == (False, 0, ["CGW.head"])
    assert notes_of(flow, "CGW.head")[-1].template == urging.TEMPLATES[(urging.UrgeKind.CUIBAN, False)]
    assert notes_of(flow, "CGW.dispatcher") == []


@pytest.mark.parametrize("username", ["CGW.head", "CGW.staff", "HP.officer"])
def test_only_roles_granted_supervision_may_urge(flow: Flow, whistle: int, esc: Escalation, username: str) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW")
    with pytest.raises(Forbidden if username != "HP.officer" else NotFound):
        urge(flow, esc, username, sign.id)


@pytest.mark.parametrize("username,reaches", [("JSJB.dispatcher", True), ("admin", True), ("HP.leader", False),
                                              ("LHQ-DCS.supervisor", False)])
def test_supervision_urges_within_its_subtree(flow: Flow, whistle: int, esc: Escalation, username: str,
                                               reaches: bool) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW")  # CGW sits in 示范区; the street and the neighbour do not reach it
    if reaches:
        assert "CGW.head" in urge(flow, esc, username, sign.id).targets
    else:
        with pytest.raises(NotFound):
            urge(flow, esc, username, sign.id)


def test_urging_checks_its_input_and_the_task(flow: Flow, whistle: int, esc: Escalation) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW")
    with pytest.raises(InvalidInput) as bad:
        urge(flow, esc, "DCS.supervisor", sign.id, "shout", "x" * 501)
    assert [e.field for e in bad.value.errors] == ["kind", "note"]
    with pytest.raises(NotFound):
        urge(flow, esc, "DCS.supervisor", 999_999)
    flow.complete(sign.id, {}, as_="CGW.dispatcher")
    with pytest.raises(Conflict):
        urge(flow, esc, "DCS.supervisor", sign.id)
    assert notes_of(flow, "CGW.head") == []  # nothing was sent by the refused attempts


def test_urgings_are_summarised_per_task(flow: Flow, whistle: int, esc: Escalation) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW")
    urge(flow, esc, "DCS.supervisor", sign.id, "cuiban")
    flow.clock.set(at(9, 28, 10, 0))
    urge(flow, esc, "DCS.supervisor", sign.id, "duban")
    with flow.db.transaction(write=False) as session:
        summary = urging.urgings_for_tasks(session, [sign.id, 999_999])
    assert list(summary) == [sign.id]
    assert summary[sign.id].count == 2 and summary[sign.id].last_at == at(9, 28, 10, 0)
