"""Races: one claim wins, parallel completions never lose an update.

The issue asks for 100 rounds on PostgreSQL; SQLite (one writer at a time) gets the same
races with fewer rounds, as a guard that its write lock is taken up front.
"""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import delete, select

from engine import accounts, tasks, withdrawal
from engine.context import EngineContext
from engine.database import Database
from engine.errors import Conflict
from engine.models import HumanTask, InstanceStatus, TaskStatus, User
from engine.roles import Role
from escalation.config import Escalation
from tests.support import FakeClock, Flow
from web.app import create_app
from web.services import Services
from web.settings import Settings

RACERS = 16
ROUNDS = {"postgresql": 100, "sqlite": 15}
DEPARTMENTS = ["CGW", "ZJW", "GHZY"]


@pytest.fixture(params=["postgresql", "sqlite"])
def racing(request: pytest.FixtureRequest, backends: object) -> Iterator[tuple[Database, int]]:
    """A database to race on, and how many rounds to run there; the racers leave with the test."""
    from tests.conftest import empty_case_tables

    found = backends.get(request.param)  # type: ignore[attr-defined]
    empty_case_tables(found)
    yield found, ROUNDS[request.param]
    empty_case_tables(found)
    with found.transaction() as session:
        session.execute(delete(User).where(User.username.like("race.%")))


def _racers(db: Database, clock: FakeClock) -> list[str]:
    """Sixteen dispatchers of CGW (created once per session) and a token for each."""
    tokens = []
    with db.transaction() as session:
        for n in range(RACERS):
            name = f"race.CGW.{n:02d}"
            user = session.execute(select(User).where(User.username == name)).scalar_one_or_none()
            if user is None:
                user = accounts.create_user(session, name, name, password=None, now=clock.now(),
                                            seats=[("CGW", Role.DEPT_DISPATCHER)])
            tokens.append(accounts.issue_token(session, user, label="race", now=clock.now()))
    return tokens


def test_sixteen_threads_claim_one_task_a_hundred_times(racing: tuple[Database, int], clock: FakeClock,
                                                        tmp_path: Path) -> None:
    postgres, rounds = racing
    ctx = EngineContext()
    flow = Flow(postgres, ctx, clock)
    flow.deploy()
    cases = [flow.start("whistle", _whistle("CGW"), as_="HP.officer") for _ in range(rounds)]
    task_ids = [flow.task(case, "Task_sign", "CGW").id for case in cases]
    tokens = _racers(postgres, clock)
    app = create_app(services=Services(Settings(instance_path=tmp_path, secret_key="x"), postgres, ctx, clock,
                                       Escalation()))
    clients = [app.test_client() for _ in range(RACERS)]
    barrier = threading.Barrier(RACERS)

    def claim(index: int, task_id: int) -> tuple[int, str | None]:
        client: FlaskClient = clients[index]
        barrier.wait()
        response = client.post(f"/api/v1/tasks/{task_id}/claim", headers={"Authorization": f"Bearer {tokens[index]}"})
        return response.status_code, (response.get_json() or {}).get("claimed_by")

    with ThreadPoolExecutor(RACERS) as pool:
        for task_id in task_ids:
            results = list(pool.map(claim, range(RACERS), [task_id] * RACERS))
            statuses = Counter(status for status, _ in results)
            assert statuses == {200: 1, 409: RACERS - 1}, statuses
            with postgres.transaction(write=False) as session:
                winner = session.get(HumanTask, task_id)
                holder = session.get(User, winner.assignee_id)
            assert winner.status == TaskStatus.CLAIMED
            assert {name for status, name in results if status == 409} == {holder.username}


def test_three_departments_complete_at_the_same_moment_a_hundred_times(racing: tuple[Database, int],
                                                                       clock: FakeClock) -> None:
    postgres, rounds = racing
    ctx, flow, cases = _cases(postgres, clock, rounds, DEPARTMENTS)
    for case in cases:
        for code in DEPARTMENTS:
            flow.complete(flow.task(case, "Task_sign", code).id, {}, as_=f"{code}.dispatcher")
            flow.complete(flow.task(case, "Task_report_in", code).id, {"on_site_staff": "两人"}, as_=f"{code}.staff")
    barrier = threading.Barrier(len(DEPARTMENTS))

    def handle(case: int, code: str) -> str:
        task_id = flow.task(case, "Task_handle", code).id
        actor = flow.actor(f"{code}.staff")
        barrier.wait()
        with postgres.transaction() as session:
            tasks.complete(session, ctx, actor, task_id, {"result": f"{code} 已处置完毕"}, now=clock.now())
        return code


    with ThreadPoolExecutor(len(DEPARTMENTS)) as pool:
        for case in cases:
            done = list(pool.map(handle, [case] * len(DEPARTMENTS), DEPARTMENTS))
            assert sorted(done) == sorted(DEPARTMENTS)
    with postgres.transaction(write=False) as session:
        for case in cases:
            verify = session.execute(
                select(HumanTask).where(HumanTask.instance_id == case, HumanTask.element_id == "Task_verify")
            ).scalars().all()
            assert sorted(t.context["department"] for t in verify) == sorted(DEPARTMENTS), case
            assert all(t.status == TaskStatus.OPEN for t in verify)
    # And the stored workflows agree: finishing every department completes each case.
    for case in cases[:5]:
        for code in DEPARTMENTS:
            verify = [t for t in flow.open_tasks(case, "Task_verify") if t.context["department"] == code]
            flow.complete(verify[0].id, {"satisfied": True}, as_="HP.officer")
            flow.rate(case, code)
        assert flow.instance(case).status == InstanceStatus.COMPLETED


def test_a_stale_writer_is_refused_not_silently_applied(postgres: Database, clock: FakeClock) -> None:
    ctx = EngineContext()
    flow = Flow(postgres, ctx, clock)
    case = flow.blow(departments=["CGW"])
    task_id = flow.task(case, "Task_sign", "CGW").id
    actor = flow.actor("CGW.dispatcher")
    with postgres.transaction() as first:
        tasks.complete(first, ctx, actor, task_id, {}, now=clock.now())
    with postgres.transaction() as second:
        try:
            tasks.complete(second, ctx, actor, task_id, {}, now=clock.now())
        except Conflict as error:
            assert "already been completed" in error.message
        else:  # pragma: no cover - the assertion is the point
            raise AssertionError("a second completion was accepted")


def test_a_withdrawal_racing_a_completion_leaves_one_consistent_outcome(racing: tuple[Database, int],
                                                                         clock: FakeClock) -> None:
    db, rounds = racing
    ctx, flow, cases = _cases(db, clock, rounds, ["CGW"])
    barrier = threading.Barrier(2)

    def complete(task_id: int) -> str:
        actor = flow.actor("CGW.dispatcher")
        barrier.wait()
        try:
            with db.transaction() as session:
                tasks.complete(session, ctx, actor, task_id, {}, now=clock.now())
        except Conflict:
            return "refused"
        return "completed"

    def withdraw(case: int) -> str:
        actor = flow.actor("HP.officer")
        barrier.wait()
        with db.transaction() as session:
            withdrawal.withdraw(session, ctx, actor, case, "重复吹哨", now=clock.now())
        return "withdrawn"

    outcomes: Counter[str] = Counter()
    with ThreadPoolExecutor(2) as pool:
        for case in cases:
            sign = flow.task(case, "Task_sign", "CGW").id
            done, withdrawn = pool.submit(complete, sign), pool.submit(withdraw, case)
            assert withdrawn.result() == "withdrawn"  # the withdrawal always lands, before or after
            outcomes[done.result()] += 1
            with db.transaction(write=False) as session:
                statuses = dict(session.execute(select(HumanTask.element_id, HumanTask.status)
                                                .where(HumanTask.instance_id == case)).all())
            assert flow.instance(case).status == InstanceStatus.CANCELLED
            # Completed before the withdrawal (then its successor was cancelled), or cancelled and refused.
            expected = ({"Task_sign": TaskStatus.COMPLETED, "Task_report_in": TaskStatus.CANCELLED}
                        if done.result() == "completed" else {"Task_sign": TaskStatus.CANCELLED})
            assert statuses == expected, case
    assert sum(outcomes.values()) == rounds, outcomes


def _cases(db: Database, clock: FakeClock, rounds: int, departments: list[str]) -> tuple[EngineContext, Flow, list[int]]:
    """A fresh engine context, a flow on ``db`` and ``rounds`` whistles summoning ``departments``."""
    ctx = EngineContext()
    flow = Flow(db, ctx, clock)
    flow.deploy()
    return ctx, flow, [flow.start("whistle", _whistle(*departments), as_="HP.officer") for _ in range(rounds)]


def _whistle(*departments: str) -> dict[str, object]:
    from tests.support import WHISTLE_DATA

    return {**WHISTLE_DATA, "departments": list(departments)}
