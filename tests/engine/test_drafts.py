"""Drafts (草稿): one person's unsent form, kept for them alone, bounded, gone when the task ends."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from engine import drafts, withdrawal
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.models.collaboration import TaskDraft
from tests.support import WHISTLE_ANSWERS, Flow


def save(flow: Flow, task: int, data: Any, *, as_: str) -> drafts.Draft:
    with flow.db.transaction() as session:
        return drafts.save(session, flow.ctx, flow.actor(as_), task, data, now=flow.clock.now())


def load(flow: Flow, task: int, *, as_: str) -> drafts.Draft | None:
    with flow.db.transaction(write=False) as session:
        return drafts.load(session, flow.actor(as_), task)


def rows(flow: Flow, task: int) -> int:
    with flow.db.transaction(write=False) as session:
        return session.execute(select(func.count()).select_from(TaskDraft).where(TaskDraft.task_id == task)
                               ).scalar_one()


def _nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = [value]
    return value


@pytest.fixture
def sign(flow: Flow) -> int:
    """CGW's 签收 task of a fresh whistle (its form has contact and note)."""
    case = flow.blow(departments=["CGW", "ZJW"])
    return flow.task(case, "Task_sign", "CGW").id


def test_a_draft_keeps_the_forms_fields_only_and_comes_back_to_its_writer(flow: Flow, sign: int) -> None:
    saved = save(flow, sign, {"contact": "王科长", "note": "半", "evidence_of_nothing": 1, "x": "y"},
                 as_="CGW.dispatcher")
    assert saved.data == {"contact": "王科长", "note": "半"} and saved.dropped == ("evidence_of_nothing", "x")
    flow.clock.advance(minutes=2)
    save(flow, sign, {"contact": "王科长 138"}, as_="CGW.dispatcher")  # replaces, never merges
    found = load(flow, sign, as_="CGW.dispatcher")
    assert found is not None and found.data == {"contact": "王科长 138"} and found.updated_at == flow.clock.now()
    assert rows(flow, sign) == 1


def test_a_value_the_form_could_not_show_again_is_left_out(flow: Flow, sign: int) -> None:
    saved = save(flow, sign, {"contact": ["a", "list"], "note": 5}, as_="CGW.dispatcher")
    assert saved.data == {"note": 5} and saved.dropped == ("contact",)


def test_nobody_else_reads_a_draft(flow: Flow, sign: int) -> None:
    save(flow, sign, {"contact": "王科长"}, as_="CGW.dispatcher")
    assert load(flow, sign, as_="CGW.head") is None  # may work on it, but the draft is not theirs
    with pytest.raises(NotFound):
        load(flow, sign, as_="ZJW.dispatcher")  # another department: the task does not exist for them
    save(flow, sign, {"contact": "李处"}, as_="CGW.head")
    assert load(flow, sign, as_="CGW.dispatcher").data == {"contact": "王科长"}  # type: ignore[union-attr]
    assert load(flow, sign, as_="CGW.head").data == {"contact": "李处"}  # type: ignore[union-attr]


def test_only_someone_who_may_take_the_task_keeps_a_draft(flow: Flow, sign: int) -> None:
    with pytest.raises(Forbidden):
        save(flow, sign, {"contact": "x"}, as_="CGW.staff")  # the department, not the role
    with pytest.raises(NotFound):
        save(flow, sign, {"contact": "x"}, as_="ZJW.dispatcher")
    flow.claim(sign, as_="CGW.dispatcher")
    with pytest.raises(Conflict):
        save(flow, sign, {"contact": "x"}, as_="CGW.head")  # someone else holds it now
    assert rows(flow, sign) == 0


@pytest.mark.parametrize("data", [
    ["not", "an", "object"],
    {"contact": "长" * (drafts.DATA_MAX_BYTES // 3 + 10)},
    {"note": "a\x00b"},
    {"note": "x\udc00"},
    {"note": float("nan")},
    {"note": {"deeper": _nested(drafts.DEPTH_MAX + 1)}},
    {"note": object()},
])
def test_a_draft_is_bounded_plain_json(flow: Flow, sign: int, data: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        save(flow, sign, data, as_="CGW.dispatcher")
    assert [e.field for e in refused.value.errors] == ["data"]
    assert rows(flow, sign) == 0


def test_just_under_the_size_limit_is_kept(flow: Flow, sign: int) -> None:
    text = "长" * ((drafts.DATA_MAX_BYTES - 100) // 3)
    assert save(flow, sign, {"note": text}, as_="CGW.dispatcher").data == {"note": text}


def test_drafts_go_when_the_task_is_completed(flow: Flow, sign: int) -> None:
    save(flow, sign, {"contact": "王科长"}, as_="CGW.dispatcher")
    save(flow, sign, {"contact": "李处"}, as_="CGW.head")
    flow.complete(sign, WHISTLE_ANSWERS["Task_sign"], as_="CGW.dispatcher")
    assert rows(flow, sign) == 0
    assert load(flow, sign, as_="CGW.dispatcher") is None
    with pytest.raises(Conflict):
        save(flow, sign, {"contact": "晚了"}, as_="CGW.dispatcher")


def test_drafts_go_when_the_task_is_cancelled(flow: Flow) -> None:
    case = flow.blow(departments=["CGW", "ZJW"])
    sign = flow.task(case, "Task_sign", "CGW").id
    save(flow, sign, {"contact": "王科长"}, as_="CGW.dispatcher")
    with flow.db.transaction() as session:  # withdrawn: every open task is cancelled
        withdrawal.withdraw(session, flow.ctx, flow.actor("HP.officer"), case, "重复吹哨", now=flow.clock.now())
    assert rows(flow, sign) == 0


def test_discarding_removes_only_ones_own_draft(flow: Flow, sign: int) -> None:
    save(flow, sign, {"contact": "王科长"}, as_="CGW.dispatcher")
    save(flow, sign, {"contact": "李处"}, as_="CGW.head")
    with flow.db.transaction() as session:
        assert drafts.discard(session, flow.actor("CGW.dispatcher"), sign) is True
        assert drafts.discard(session, flow.actor("CGW.dispatcher"), sign) is False
    assert load(flow, sign, as_="CGW.dispatcher") is None
    assert load(flow, sign, as_="CGW.head") is not None
