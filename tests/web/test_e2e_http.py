"""End to end over real HTTP against ``whistle serve``: a whistle from blowing to closing."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import create_schema, drop_schema
from tests.http_client import LiveServer, Reply, environment, request, whistle
from tests.support import PROCESSES, WHISTLE_ANSWERS, WHISTLE_DATA

DEPARTMENTS = ["GHZY", "ZJW", "CGW"]
USERS = ["HP.officer", "HP.leader", "SWJ.staff",
         *[f"{d}.{role}" for d in DEPARTMENTS for role in ("dispatcher", "staff")]]


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    """A freshly initialised, deployed and seeded server on each backend, with user tokens."""
    schema_name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'e2e.sqlite3'}"
    else:
        schema_name, url = create_schema("whistle_e2e")
    env = environment(url, tmp_path / "instance")
    whistle("init", env=env)
    whistle("deploy", str(PROCESSES), env=env)
    whistle("seed-demo", env=env)
    lines = whistle("user", "token", *USERS, env=env).split("\n")
    tokens = dict(line.split(" ", 1) for line in lines if line)
    live = LiveServer(env, tmp_path / "server.log")
    try:
        yield live, tokens
    finally:
        live.stop()
        if schema_name is not None:
            drop_schema(schema_name)


def test_whistle_from_blowing_to_closing_over_http(server: tuple[LiveServer, dict[str, str]]) -> None:
    live, tokens = server

    def call(user: str, method: str, path: str, body: object = None) -> Reply:
        return request(live.base, method, f"/api/v1{path}", token=tokens[user], body=body)

    def queue(user: str) -> list[dict]:
        reply = call(user, "GET", "/tasks?scope=department&status=open")
        assert reply.status == 200
        return reply.body["items"]

    def work(user: str, element: str, data: dict) -> int:
        mine = [t for t in queue(user) if t["element_id"] == element]
        assert mine, f"{user} has no open {element}"
        task = mine[0]
        claimed = call(user, "POST", f"/tasks/{task['id']}/claim")
        assert claimed.status == 200 and claimed.body["assignee"] == user
        done = call(user, "POST", f"/tasks/{task['id']}/complete", {"data": data})
        assert done.status == 200, done.body
        return int(task["id"])

    started = call("HP.officer", "POST", "/instances", {"process": "whistle", "data": WHISTLE_DATA})
    assert started.status == 201, started.body
    case_id = started.body["id"]

    # Each summoned department sees exactly its own task; an unsummoned one sees nothing.
    for code in DEPARTMENTS:
        assert [(t["department"], t["name"]) for t in queue(f"{code}.dispatcher")] == [(code, "签收")]
    assert queue("SWJ.staff") == []
    foreign = queue("CGW.dispatcher")[0]["id"]
    assert call("ZJW.dispatcher", "POST", f"/tasks/{foreign}/claim").status == 404

    for code in DEPARTMENTS:
        work(f"{code}.dispatcher", "Task_sign", WHISTLE_ANSWERS["Task_sign"])
        work(f"{code}.staff", "Task_report_in", WHISTLE_ANSWERS["Task_report_in"])
        work(f"{code}.staff", "Task_handle", WHISTLE_ANSWERS["Task_handle"])

    # The street verifies: ZJW is sent back once.
    verifications = [t for t in queue("HP.officer") if t["element_id"] == "Task_verify"]
    assert len(verifications) == 3
    assert sorted(t["context"]["department"] for t in verifications) == sorted(DEPARTMENTS)
    sent_back = False
    for task in verifications:
        answer = {"satisfied": True}
        if task["context"]["department"] == "ZJW":
            answer, sent_back = {"satisfied": False, "comment": "违建未拆除干净"}, True
        assert call("HP.officer", "POST", f"/tasks/{task['id']}/complete", {"data": answer}).status == 200
    assert sent_back
    work("ZJW.staff", "Task_handle", {"result": "已全部拆除并清运建筑垃圾"})
    again = [t for t in queue("HP.officer") if t["element_id"] == "Task_verify"]
    assert len(again) == 1
    assert call("HP.officer", "POST", f"/tasks/{again[0]['id']}/complete", {"data": {"satisfied": True}}).status == 200

    ratings = [t for t in queue("HP.leader") if t["element_id"] == "Task_rate"]
    assert len(ratings) == 3
    for task in ratings:
        done = call("HP.leader", "POST", f"/tasks/{task['id']}/complete", {"data": WHISTLE_ANSWERS["Task_rate"]})
        assert done.status == 200

    final = call("HP.officer", "GET", f"/instances/{case_id}").body
    assert final["status"] == "completed"
    assert final["open_tasks"] == []
    history = final["history"]
    completions = [h for h in history if h["action"] == "completed"]
    # 3 departments x (sign, report, handle, verify, rate) + one rework (handle, verify).
    assert len(completions) == 3 * 5 + 2
    assert all(h["actor"] and h["at"] for h in completions)
    assert {h["actor"] for h in completions} >= {"HP.officer", "HP.leader", "ZJW.staff", "CGW.dispatcher"}
    assert history[0]["action"] == "started" and history[0]["actor"] == "HP.officer"
    assert history[-1]["action"] == "instance_completed"
    # A department taking part can read the whole shared record, including other departments' reports.
    shared = call("CGW.staff", "GET", f"/instances/{case_id}")
    assert shared.status == 200
    reports = [h["payload"]["data"]["result"] for h in shared.body["history"]
               if h["action"] == "completed" and h["payload"].get("task") == "处置反馈"]
    assert "已全部拆除并清运建筑垃圾" in reports
    assert call("SWJ.staff", "GET", f"/instances/{case_id}").status == 404

