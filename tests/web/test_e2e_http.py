"""End to end over real HTTP against ``whistle serve``: a whistle from blowing to closing."""
from __future__ import annotations

import pytest

from tests.http_client import Reply, request
from tests.support import WHISTLE_ANSWERS, WHISTLE_DATA
from tests.web.live_api import LiveApi

pytestmark = pytest.mark.xdist_group("live_demo")  # one shared server per backend (tests/web/conftest.py)
DEPARTMENTS = ["GHZY", "ZJW", "CGW"]


def test_whistle_from_blowing_to_closing_over_http(live_demo: LiveApi) -> None:
    tokens = live_demo.tokens
    case_id = 0

    def call(user: str, method: str, path: str, body: object = None) -> Reply:
        return request(live_demo.base, method, f"/api/v1{path}", token=tokens[user], body=body)

    def queue(user: str) -> list[dict]:
        """The user's open tasks of this case (other tests' cases share the server)."""
        reply = call(user, "GET", "/tasks?scope=department&status=open")
        assert reply.status == 200
        return [t for t in reply.body["items"] if t["instance_id"] == case_id]

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

