"""Idempotency-Key on case starts, claims and completions: a retried request gets the first answer, acts once."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select

from engine import accounts, idempotency
from engine.database import Database
from engine.models import IdempotencyRecord, ProcessInstance, TaskEvent
from tests.support import SHANGHAI, WHISTLE_ANSWERS, WHISTLE_DATA, Flow
from tests.web.conftest import Api
from web.cli import cli, register_commands

START = {"process": "whistle", "data": {**WHISTLE_DATA, "departments": ["CGW"]}}


def _count(db: Database, model: Any, *where: Any) -> int:
    with db.transaction(write=False) as session:
        return int(session.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def _start(api: Api, key: str, body: dict[str, Any] = START, username: str = "HP.officer") -> Any:
    return api.call(username, "POST", "/instances", body, headers={"Idempotency-Key": key})


def test_a_retried_start_gets_the_first_answer_and_starts_one_case(api: Api, flow: Flow) -> None:
    flow.deploy()
    first = _start(api, "start-0001")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    api.clock.advance(minutes=5)
    again = _start(api, "start-0001")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"] and again.headers["ETag"] == first.headers["ETag"]
    assert _count(api.db, ProcessInstance) == 1
    assert _start(api, "start-0002").get_json()["id"] != first.get_json()["id"]  # a new key is a new request
    xh = {**START, "data": {**START["data"], "community": "新华里社区"}}
    assert _start(api, "start-0001", xh, username="XH.officer").status_code == 201  # keys are per user
    assert _count(api.db, ProcessInstance) == 3
    assert api.call("HP.officer", "POST", "/instances", START).status_code == 201  # without a key: as before
    assert _count(api.db, ProcessInstance) == 4


def test_the_same_key_on_another_request_is_refused(api: Api, flow: Flow) -> None:
    flow.deploy()
    assert _start(api, "k-1").status_code == 201
    other = _start(api, "k-1", {**START, "business_key": "HP-1"})
    assert other.status_code == 422 and other.mimetype == "application/problem+json"
    assert other.get_json()["errors"][0]["code"] == "idempotency_key_reused"
    sign = flow.open_tasks(_start(api, "k-2").get_json()["id"], "Task_sign")[0]
    theirs = api.call("CGW.dispatcher", "POST", f"/tasks/{sign.id}/claim", headers={"Idempotency-Key": "k-1"})
    assert theirs.status_code == 200  # another user's k-1 is their own
    elsewhere = api.call("HP.officer", "POST", f"/tasks/{sign.id}/unclaim", headers={"Idempotency-Key": "k-1"})
    assert elsewhere.status_code == 422  # the same body (none) on another path is another request
    assert elsewhere.get_json()["errors"][0]["code"] == "idempotency_key_reused"
    assert _count(api.db, ProcessInstance) == 2


def test_keys_are_bounded(api: Api, flow: Flow) -> None:
    flow.deploy()
    for key in ("", "a" * 129, "with space", "tab\there"):
        response = _start(api, key)
        assert response.status_code == 400, repr(key)
        assert response.mimetype == "application/problem+json"
    assert _start(api, "a" * 128).status_code == 201
    assert _start(api, "!~").status_code == 201
    assert _count(api.db, ProcessInstance) == 2


def test_a_failed_request_keeps_nothing_so_the_corrected_retry_acts(api: Api, flow: Flow) -> None:
    flow.deploy()
    broken = _start(api, "k-3", {**START, "data": {**START["data"], "category": "NOPE"}})
    assert broken.status_code == 422
    assert _count(api.db, IdempotencyRecord) == 0
    assert _start(api, "k-3").status_code == 201 and _count(api.db, ProcessInstance) == 1


def test_a_retried_completion_and_claim_act_once(api: Api, flow: Flow) -> None:
    case = flow.blow(departments=["CGW"])
    sign = flow.task(case, "Task_sign", "CGW")
    headers = {"Idempotency-Key": "claim-1"}
    claimed = api.call("CGW.dispatcher", "POST", f"/tasks/{sign.id}/claim", headers=headers)
    assert claimed.status_code == 200
    assert api.call("CGW.dispatcher", "POST", f"/tasks/{sign.id}/claim", headers=headers).get_json() \
        == claimed.get_json()
    body = {"data": WHISTLE_ANSWERS["Task_sign"]}
    headers = {"Idempotency-Key": "complete-1"}
    done = api.call("CGW.dispatcher", "POST", f"/tasks/{sign.id}/complete", body, headers=headers)
    assert done.status_code == 200 and done.get_json()["status"] == "completed"
    again = api.call("CGW.dispatcher", "POST", f"/tasks/{sign.id}/complete", body, headers=headers)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"  # not 409 "already done"
    assert again.get_json() == done.get_json()
    assert _count(api.db, TaskEvent, TaskEvent.task_id == sign.id, TaskEvent.action == "completed") == 1
    assert _count(api.db, TaskEvent, TaskEvent.task_id == sign.id, TaskEvent.action == "claimed") == 1


def test_two_racing_requests_with_one_key_start_one_case(app: Flask, api: Api, flow: Flow) -> None:
    flow.deploy()
    token = api.token("HP.officer")
    racers = 4
    barrier = threading.Barrier(racers, timeout=60)

    def race(_: int) -> tuple[int, Any]:
        with app.test_client() as client:
            barrier.wait()
            response = client.post("/api/v1/instances", json=START, headers={
                "Authorization": f"Bearer {token}", "Idempotency-Key": "race-1"})
            return response.status_code, response.get_json()

    with ThreadPoolExecutor(racers) as pool:
        answers = list(pool.map(race, range(racers)))
    assert _count(api.db, ProcessInstance) == 1
    ids = {body["id"] for status, body in answers if status == 201}
    assert len(ids) == 1, answers  # whoever got a 201 got the same case
    assert all(status in (201, 409) for status, _ in answers), answers  # a loser waits and replays, or hears 409


def test_the_engine_clean_removes_answers_older_than_a_day(api: Api, flow: Flow) -> None:
    flow.deploy()
    assert _start(api, "old").status_code == 201
    api.clock.advance(hours=23)
    assert _start(api, "young").status_code == 201
    assert idempotency.clean(api.db, api.clock.now() + timedelta(hours=2)) == 1
    assert _count(api.db, IdempotencyRecord) == 1
    assert _start(api, "old").headers.get("Idempotent-Replayed") is None  # forgotten: it acts again
    assert _count(api.db, ProcessInstance) == 3


def test_the_workers_sweep_removes_old_answers(tmp_path: Path) -> None:
    register_commands()
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"

    def run(*args: str) -> Any:
        return CliRunner().invoke(cli, ["--database-url", url, "--instance", str(tmp_path / "instance"), *args],
                                  catch_exceptions=False)

    assert run("init").exit_code == 0 and run("seed-demo").exit_code == 0
    from datetime import datetime

    kept_at = datetime(2026, 9, 28, 9, 0, tzinfo=SHANGHAI)
    db = Database(url)
    with db.transaction() as session:
        user = accounts.user_by_name(session, "HP.officer")
        session.add(IdempotencyRecord(user_id=user.id, key="k", method="POST", path="/api/v1/instances",
                                      request_sha256="0" * 64, status_code=201, body={}, headers={},
                                      created_at=kept_at))
    assert run("sweep", "--now", (kept_at + timedelta(hours=23)).isoformat()).exit_code == 0
    assert _count(db, IdempotencyRecord) == 1
    assert run("sweep", "--now", (kept_at + timedelta(hours=25)).isoformat()).exit_code == 0
    assert _count(db, IdempotencyRecord) == 0
    db.dispose()
