"""Comments (留言): everyone on the case reads them, outsiders cannot, bounded, audited, people told once."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from engine import comments, withdrawal
from engine.errors import Conflict, InvalidInput, NotFound
from engine.models import InstanceStatus, ProcessInstance, TaskEvent, User
from engine.models.collaboration import TaskComment
from escalation.models import Notification
from tests.support import Flow


def comment(flow: Flow, body: object, *, as_: str, task: int | None = None, case: int | None = None) -> int:
    """Comment as ``as_`` in one transaction; the new comment's id."""
    with flow.db.transaction() as session:
        return comments.add(session, flow.ctx, flow.actor(as_), body, now=flow.clock.now(), task_id=task,
                            instance_id=case).id


def read_case(flow: Flow, case: int, *, as_: str) -> list[comments.CommentView]:
    with flow.db.transaction(write=False) as session:
        return comments.for_case(session, flow.actor(as_), case)


def notices(flow: Flow, username: str) -> list[Notification]:
    with flow.db.transaction(write=False) as session:
        user_id = session.execute(select(User.id).where(User.username == username)).scalar_one()
        return list(session.execute(select(Notification).where(Notification.user_id == user_id,
                                                               Notification.kind == "commented")).scalars())


def stored(flow: Flow) -> int:
    with flow.db.transaction(write=False) as session:
        return session.execute(select(func.count()).select_from(TaskComment)).scalar_one()


@pytest.fixture
def whistle(flow: Flow) -> int:
    """A whistle from 和平里 (HP) summoning CGW and ZJW."""
    return flow.blow(departments=["CGW", "ZJW"])


def test_a_department_comments_on_its_task_and_everyone_on_the_case_reads_it(flow: Flow, whistle: int) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW")
    flow.clock.advance(minutes=5)
    made = comment(flow, "  现场有施工队在作业，请街道先协调物业开门。 ", as_="CGW.dispatcher", task=sign.id)

    for reader in ("HP.officer", "ZJW.dispatcher", "DCS.supervisor", "CGW.staff"):
        found = read_case(flow, whistle, as_=reader)
        assert [(c.id, c.body, c.task_id, c.department_code, c.author) for c in found] == [
            (made, "现场有施工队在作业，请街道先协调物业开门。", sign.id, "CGW", "CGW.dispatcher")], reader
    assert found[0].author_name and found[0].department_name and found[0].task_name == sign.name
    assert found[0].created_at == flow.clock.now()
    with flow.db.transaction(write=False) as session:
        event = session.execute(select(TaskEvent).where(TaskEvent.action == "commented")).scalar_one()
        assert comments.for_task(session, flow.actor("CGW.head"), sign.id)[0].id == made
    assert (event.instance_id, event.task_id, event.payload["comment_id"], event.payload["body"]) == (
        whistle, sign.id, made, "现场有施工队在作业，请街道先协调物业开门。")


def test_comments_are_listed_oldest_first_and_a_case_comment_speaks_for_the_unit_taking_part(
        flow: Flow, whistle: int) -> None:
    first = comment(flow, "第一条", as_="ZJW.dispatcher", case=whistle)
    flow.clock.advance(minutes=1)
    second = comment(flow, "第二条", as_="HP.officer", case=whistle)
    found = read_case(flow, whistle, as_="CGW.dispatcher")
    assert [(c.id, c.task_id, c.department_code) for c in found] == [(first, None, "ZJW"), (second, None, "HP")]


def test_outsiders_neither_read_nor_write(flow: Flow, whistle: int) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW")
    with pytest.raises(NotFound):
        read_case(flow, whistle, as_="STHJ.dispatcher")  # a department not summoned
    with pytest.raises(NotFound):
        comment(flow, "路过", as_="STHJ.dispatcher", case=whistle)
    with pytest.raises(NotFound):
        comment(flow, "路过", as_="STHJ.dispatcher", task=sign.id)
    with pytest.raises(NotFound):  # on the case, but the task is another department's
        comment(flow, "替你说一句", as_="ZJW.dispatcher", task=sign.id)
    with pytest.raises(NotFound), flow.db.transaction(write=False) as session:
        comments.for_task(session, flow.actor("ZJW.dispatcher"), sign.id)
    with pytest.raises(NotFound):
        comment(flow, "没有这个案件", as_="HP.officer", case=whistle + 1000)
    assert stored(flow) == 0


@pytest.mark.parametrize("body", ["", "   \n ", "长" * 2001, "a\x00b", "bell\x07", "x\ud800", None, 42])
def test_a_comment_must_be_printable_text_of_1_to_2000_characters(flow: Flow, whistle: int, body: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        comment(flow, body, as_="HP.officer", case=whistle)
    assert [e.field for e in refused.value.errors] == ["body"]
    assert stored(flow) == 0


def test_2000_characters_with_spaces_around_them_are_enough(flow: Flow, whistle: int) -> None:
    comment(flow, "  " + "字" * 2000 + "\n", as_="HP.officer", case=whistle)
    assert len(read_case(flow, whistle, as_="HP.officer")[0].body) == 2000


def test_a_closed_case_takes_comments_a_withdrawn_one_does_not(flow: Flow, whistle: int) -> None:
    with flow.db.transaction() as session:
        session.execute(update(ProcessInstance).where(ProcessInstance.id == whistle)
                        .values(status=InstanceStatus.COMPLETED))
    comment(flow, "办结后补充：已回访居民。", as_="CGW.dispatcher", case=whistle)
    with flow.db.transaction() as session:
        session.execute(update(ProcessInstance).where(ProcessInstance.id == whistle)
                        .values(status=InstanceStatus.RUNNING))
        withdrawal.withdraw(session, flow.ctx, flow.actor("HP.officer"), whistle, "重复吹哨", now=flow.clock.now())
    with pytest.raises(Conflict):
        comment(flow, "还要来吗？", as_="CGW.dispatcher", case=whistle)
    assert stored(flow) == 1
    assert len(read_case(flow, whistle, as_="CGW.dispatcher")) == 1  # still readable


def test_the_people_on_the_task_and_the_starting_unit_are_told_once_until_they_read_it(
        flow: Flow, whistle: int) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW")
    comment(flow, "请问具体楼号？", as_="HP.leader", task=None, case=whistle)
    # A case comment: the starting unit (who started it) hears; nobody holds a task yet; not the author.
    assert len(notices(flow, "HP.officer")) == 1
    assert notices(flow, "HP.leader") == [] and notices(flow, "CGW.dispatcher") == []

    comment(flow, "5 号楼，已联系物业。", as_="CGW.dispatcher", task=sign.id)
    note = notices(flow, "HP.officer")
    assert len(note) == 1, "a second unread comment notice about the same case floods the inbox"
    assert note[0].params["case_id"] == whistle

    flow.claim(sign.id, as_="CGW.dispatcher")
    comment(flow, "处置人员何时到？", as_="HP.officer", task=None, case=whistle)
    told = notices(flow, "CGW.dispatcher")  # holds an open task of the case now
    assert len(told) == 1 and told[0].params["excerpt"] == "处置人员何时到？"
    assert told[0].params["department"] and told[0].params["author"]

    with flow.db.transaction() as session:  # read: the next comment tells them again
        session.execute(update(Notification).values(read_at=flow.clock.now()))
    flow.clock.advance(minutes=3)
    comment(flow, "长" * 100, as_="CGW.dispatcher", task=sign.id)
    fresh = [n for n in notices(flow, "HP.officer") if n.read_at is None]
    assert len(fresh) == 1 and fresh[0].params["excerpt"] == "长" * 60 + "…"
    assert notices(flow, "ZJW.dispatcher") == []  # another department's people are not called
