"""One meaning of "overdue": every board, chart, CSV, diagram count, badge and filter agrees on one world.

The world has tasks in every state: open and late on both clocks, claimed (report-in clock
stopped, completion clock running), completed, cancelled with its case, a completed task whose
clocks were left running (data from before clocks stopped on every exit), an extended deadline
whose due-level rung already fired, and a clock that runs out exactly at an instant we read at.
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import gettext
from sqlalchemy import select, update

from engine import withdrawal
from engine.models import Department, HumanTask, ProcessInstance
from escalation import boards, extensions, supervision, urging
from escalation.config import Escalation
from escalation.diagram_overdue import overdue_counts
from escalation.models import TaskDeadline
from tests.support import SHANGHAI, Flow
from tests.web.conftest import Api, Pages
from web.app import create_app
from web.deadlines import badge, most_urgent
from web.services import Services
from web.settings import Settings

REMAINING = re.compile(r'<span class="remaining">([^<]*)</span>')


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A 2026 Beijing instant."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@dataclass(frozen=True)
class World:
    """The tasks that matter, by what happened to them."""

    late_on_both_clocks: int  # CGW's signing task, never touched
    extended: int  # ZJW's signing task: claimed, then its completion clock extended after level 3 fired
    arriving: int  # GHZY's report-in task: its arrival clock runs out Tuesday 17:30
    also_arriving: int  # SJJ's report-in task, the same
    completed_left_running: int  # SJJ's signing task: completed, clocks un-stopped by hand
    cancelled: int  # SWJ's signing task of a withdrawn case
    tasks: frozenset[int]
    definition_id: int


@pytest.fixture
def world(flow: Flow, esc: Escalation) -> World:
    """Two whistles of Monday 2026-09-28 09:00 (signing within 2wh: 11:00) and what became of their tasks."""
    flow.deploy_policy()
    case = flow.blow(departments=["CGW", "ZJW", "GHZY", "SJJ"])
    withdrawn = flow.blow(departments=["SWJ"])
    cgw, zjw = flow.task(case, "Task_sign", "CGW"), flow.task(case, "Task_sign", "ZJW")
    sjj, swj = flow.task(case, "Task_sign", "SJJ"), flow.task(withdrawn, "Task_sign", "SWJ")
    flow.clock.set(at(9, 28, 9, 10))
    flow.complete(flow.task(case, "Task_sign", "GHZY").id, {}, as_="GHZY.dispatcher")
    arriving = flow.task(case, "Task_report_in", "GHZY")
    flow.complete(sjj.id, {}, as_="SJJ.dispatcher")
    also_arriving = flow.task(case, "Task_report_in", "SJJ")
    flow.clock.set(at(9, 28, 9, 30))
    flow.claim(zjw.id, as_="ZJW.dispatcher")
    with flow.db.transaction() as session:
        withdrawal.withdraw(session, flow.ctx, flow.actor("HP.officer"), withdrawn, "重复吹哨", now=flow.clock.now())
        # A completed task whose clocks nobody stopped: only "the task is still active" keeps it off the boards.
        session.execute(update(TaskDeadline).where(TaskDeadline.task_id == sjj.id).values(stopped_at=None))
    flow.clock.set(at(9, 28, 11, 30))
    report = flow.sweep(esc)
    assert report.failed == 0 and report.deadlines > 0
    with flow.db.transaction() as session:
        asked = extensions.request(session, esc, flow.actor("ZJW.dispatcher"), zjw.id, clock="complete",
                                   extension="1wd", reason="需协调产权单位", now=flow.clock.now())
    with flow.db.transaction() as session:
        extensions.decide(session, esc, flow.actor("ZJW.head"), asked.id, approve=True, note="同意",
                          now=flow.clock.now())
    with flow.db.transaction(write=False) as session:
        tasks = frozenset(session.execute(select(HumanTask.id)).scalars())
        definition_id = session.execute(select(ProcessInstance.definition_id)
                                        .where(ProcessInstance.id == case)).scalar_one()
        extended = session.execute(select(TaskDeadline).where(
            TaskDeadline.task_id == zjw.id, TaskDeadline.clock == "complete", TaskDeadline.is_due_level)).scalar_one()
        arrival = session.execute(select(TaskDeadline.deadline_at).where(
            TaskDeadline.task_id == arriving.id, TaskDeadline.is_due_level)).scalar_one()
    # The rung fired at the old deadline and keeps its due_at; the clock's deadline moved a working day.
    assert extended.fired_at is not None and extended.due_at == at(9, 28, 11, 0)
    assert extended.deadline_at == arrival == at(9, 29, 17, 30)
    return World(cgw.id, zjw.id, arriving.id, also_arriving.id, sjj.id, swj.id, tasks, definition_id)


@pytest.fixture
def app(flow: Flow, esc: Escalation, tmp_path: Path) -> Flask:
    """The web app on the world's database, reading the fake clock."""
    settings = Settings(instance_path=tmp_path / "instance", secret_key="test-secret")
    return create_app(services=Services(settings=settings, db=flow.db, ctx=flow.ctx, clock=flow.clock, escalation=esc))


@pytest.fixture
def api(app: Flask, flow: Flow) -> Iterator[Api]:
    """District supervision's API client (it sees every department)."""
    with app.test_client() as client:
        yield Api(client, flow.db, flow.clock, flow.ctx)


def readings(flow: Flow, app: Flask, api: Api, world: World) -> dict[str, object]:
    """What every reader of "overdue" says at the fake clock's now: sets of task ids, and counts by department."""
    now = flow.clock.now()
    found: dict[str, object] = {}
    with flow.db.transaction(write=False) as session:
        codes = dict(session.execute(select(HumanTask.id, Department.code)
                                     .join(Department, Department.id == HumanTask.department_id)).all())
        elements = dict(session.execute(select(HumanTask.id, HumanTask.element_id)).all())
        rows, more = supervision.overdue(session, now, limit=1000)
        assert not more
        board = {r.task_id for r in rows}
        found["overdue board (API, page, CSV rows)"] = board
        found["inbox filter 'overdue'"] = set(session.execute(
            select(HumanTask.id).where(supervision.deadline_between(None, now))).scalars())
        found["urging: late when urged"] = {t for t in world.tasks if urging.lateness(session, t, now)[0]}
        found["department drill-down"] = {t.task_id for code in set(codes.values())
                                          for t in boards.department_tasks(session, code, now)
                                          if t.overdue_since is not None}
        by_department = Counter(codes[t] for t in board)
        found["chart by department"] = {c.code: c.tasks for c in boards.overdue_by_department(session, now)}
        found["scoreboard"] = {r.code: r.stats.overdue for r in boards.scoreboard(session, now) if r.stats.overdue}
        found["stats per department"] = {code: n for code in set(codes.values())
                                         if (n := supervision.department_stats(session, code, now).overdue)}
        found["chart by level (total)"] = {"all": sum(c.tasks for c in boards.overdue_by_level(session, now))}
        found["diagram counts"] = overdue_counts(session, world.definition_id, now)
        clocks = supervision.clocks_for_badges(session, sorted(world.tasks))
    with app.app_context(), app.test_request_context():  # a fresh context: now() is read once per context
        late = gettext("Overdue by %(t)s", t="\0").split("\0")[0]  # the words a late badge starts with
        shown = {t: REMAINING.search(str(badge(most_urgent(c, codes.get(t))))) for t, c in clocks.items()}
        found["due badges"] = {t for t, text in shown.items() if text and text.group(1).startswith(late)}
    items = api.call("DCS.supervisor", "GET", "/overdue?limit=200").get_json()["items"]
    found["API /overdue"] = {item["task_id"] for item in items}
    expected = {
        "chart by department": dict(by_department), "scoreboard": dict(by_department),
        "stats per department": dict(by_department), "chart by level (total)": {"all": len(board)} if board else
        {"all": 0}, "diagram counts": dict(Counter(elements[t] for t in board)),
    }
    return {name: (value, expected.get(name, board)) for name, value in found.items()}


INSTANTS = [
    (at(9, 28, 10, 30), set()),  # no clock has run out yet
    (at(9, 28, 14, 0), {"late_on_both_clocks"}),  # counted once; the extended and the left-running ones are not
    (at(9, 29, 17, 29), {"late_on_both_clocks"}),
    # A deadline is overdue from its instant on; the completed and the cancelled tasks never are.
    (at(9, 29, 17, 30), {"late_on_both_clocks", "extended", "arriving", "also_arriving"}),
    (at(10, 20, 9, 0), {"late_on_both_clocks", "extended", "arriving", "also_arriving"}),
]


def test_every_reader_of_overdue_agrees_on_one_world_at_every_instant(flow: Flow, world: World, app: Flask,
                                                                      api: Api) -> None:
    for instant, names in INSTANTS:
        flow.clock.set(instant)
        found = readings(flow, app, api, world)
        disagreeing = {reader: got for reader, (got, wanted) in found.items() if got != wanted}
        assert disagreeing == {}, f"readers disagree with the overdue board at {instant}"
        board, _ = found["overdue board (API, page, CSV rows)"]
        assert board == {getattr(world, name) for name in names}, instant


def test_the_csv_the_chart_and_the_diagram_served_agree_with_the_board(flow: Flow, world: World, app: Flask) -> None:
    flow.clock.set(at(9, 29, 17, 30))
    with flow.db.transaction(write=False) as session:
        rows, _ = supervision.overdue(session, flow.clock.now(), limit=1000)
    client = Pages(app, []).as_("DCS.supervisor")
    lines = list(csv.reader(io.StringIO(client.get("/supervise?format=csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert sorted((int(line[0]), line[3], line[2]) for line in lines[1:]) == sorted(
        (r.instance_id, r.department or "", r.task_name) for r in rows)
    chart = client.get("/supervise/charts/departments.json").get_json()["items"]
    assert {item["code"]: item["value"] for item in chart} == dict(Counter(r.department for r in
                                                                          {r.task_id: r for r in rows}.values()))
    # The designer's diagram of the one version both cases run on: the same tasks in red.
    counts = Pages(app, []).as_("designer").get("/design/whistle/versions/1/counts")
    assert counts.status_code == 200
    assert counts.get_json()["overdue"] == len({r.task_id for r in rows}) == 4
