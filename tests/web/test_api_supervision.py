"""Supervisor API: overdue board, escalations, department stats, extensions, notifications."""
from __future__ import annotations

from datetime import datetime

import pytest

from escalation.config import Escalation
from escalation.sweep import sweep
from tests.support import SHANGHAI, WHISTLE_DATA, WHISTLE_PACK
from tests.web.conftest import Api


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A 2026 Beijing instant."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def late_whistle(api: Api, esc: Escalation) -> dict:
    """An enforcement whistle summoning CGW and ZJW, with both signing tasks an hour overdue."""
    from engine import definitions
    from escalation.policy_store import deploy_policy

    with api.db.transaction() as session:
        definitions.deploy(session, api.app_ctx, definitions.bundle_from_path(WHISTLE_PACK / "whistle.bpmn"),
                           now=api.clock.now())
        deploy_policy(session, WHISTLE_PACK / "policies" / "whistle.yaml", now=api.clock.now())
    case = api.call("HP.officer", "POST", "/instances", {"process": "whistle", "data": {
        **WHISTLE_DATA, "departments": ["CGW", "ZJW"]}}).get_json()
    api.clock.set(at(9, 28, 12, 0))
    assert sweep(api.db, api.app_ctx, esc, api.clock.now()).failed == 0
    return case


def test_overdue_board_lists_late_tasks_with_lateness_and_level(api: Api, late_whistle: dict) -> None:
    body = api.call("DCS.supervisor", "GET", "/overdue").get_json()
    rows = {(r["department"], r["clock"]): r for r in body["items"]}
    # One row per task: each 签收 task is late on both clocks (one deadline) and listed once.
    assert set(rows) == {("CGW", "report_in"), ("ZJW", "report_in")} and len(body["items"]) == 2
    assert all(r["lateness_seconds"] == 3600 and r["level"] == 3 for r in rows.values())
    assert all(r["street"] == "HP" and r["category"] == "WFJS" for r in rows.values())
    only = api.call("DCS.supervisor", "GET", "/overdue?department=CGW").get_json()["items"]
    assert {r["department"] for r in only} == {"CGW"}
    assert api.call("DCS.supervisor", "GET", "/overdue?street=XH").get_json()["items"] == []
    assert api.call("DCS.supervisor", "GET", "/overdue?level=4").get_json()["items"] == []


def test_department_staff_see_only_their_own_overdue_rows(api: Api, late_whistle: dict) -> None:
    mine = api.call("CGW.head", "GET", "/overdue").get_json()["items"]
    assert {r["department"] for r in mine} == {"CGW"}
    assert api.call("CGW.head", "GET", "/overdue?department=ZJW").get_json()["items"] == []
    assert api.call("CGW.head", "GET", "/departments/ZJW/stats").status_code == 404


def test_escalation_history_and_notifications(api: Api, late_whistle: dict) -> None:
    history = api.call("DCS.supervisor", "GET", f"/escalations?instance={late_whistle['id']}").get_json()["items"]
    assert sorted({(h["department"], h["level"]) for h in history}) == [
        ("CGW", 1), ("CGW", 2), ("CGW", 3), ("ZJW", 1), ("ZJW", 2), ("ZJW", 3)]
    notes = api.call("CGW.head", "GET", "/notifications?unread=1").get_json()["items"]
    assert {n["kind"] for n in notes} == {"notify", "overdue_duban"}
    assert all("区城市管理委员会" in n["message"] for n in notes)
    read = api.call("CGW.head", "POST", f"/notifications/{notes[0]['id']}/read")
    assert read.status_code == 200 and read.get_json()["read_at"]
    assert len(api.call("CGW.head", "GET", "/notifications?unread=1").get_json()["items"]) == len(notes) - 1
    assert api.call("ZJW.head", "POST", f"/notifications/{notes[0]['id']}/read").status_code == 404


def test_department_stats(api: Api, late_whistle: dict) -> None:
    sign = [t for t in api.call("CGW.dispatcher", "GET", "/tasks").get_json()["items"]][0]
    api.call("CGW.dispatcher", "POST", f"/tasks/{sign['id']}/complete", {"data": {}})
    stats = api.call("DCS.supervisor", "GET", "/departments/CGW/stats").get_json()
    assert stats["open"] == 1  # the arrival task
    assert stats["overdue"] == 0
    assert stats["median_time_to_sign_seconds"] == 3 * 3600  # 09:00 -> 12:00
    assert stats["on_time_completion_rate"] == 0.0  # signed after its 11:00 deadline
    zjw = api.call("DCS.supervisor", "GET", "/departments/ZJW/stats").get_json()
    assert zjw["overdue"] == 1 and zjw["median_time_to_sign_seconds"] is None
    assert api.call("DCS.supervisor", "GET", "/departments/NOPE/stats").status_code == 404
    assert api.call("DCS.supervisor", "GET", "/departments/CGW/stats?since=yesterday").status_code == 400


def test_extension_over_the_api(api: Api, late_whistle: dict) -> None:
    sign = api.call("CGW.dispatcher", "GET", "/tasks").get_json()["items"][0]
    bad = api.call("CGW.dispatcher", "POST", f"/tasks/{sign['id']}/extensions",
                   {"clock": "complete", "extension": "forever", "reason": "  "})  # blank: only the rules see it
    assert bad.status_code == 422
    assert {e["field"] for e in bad.get_json()["errors"]} == {"extension", "reason"}
    asked = api.call("CGW.dispatcher", "POST", f"/tasks/{sign['id']}/extensions",
                     {"clock": "complete", "extension": "4wh", "reason": "现场人员不足"})
    assert asked.status_code == 201
    pending = api.call("CGW.head", "GET", "/extensions").get_json()["items"]
    assert [p["id"] for p in pending] == [asked.get_json()["id"]]
    assert api.call("ZJW.head", "GET", "/extensions").get_json()["items"] == []
    decided = api.call("CGW.head", "POST", f"/extensions/{pending[0]['id']}/approve", {"note": "同意"})
    assert decided.status_code == 200
    # 11:00 + 4 working hours skips lunch: 16:00.
    assert datetime.fromisoformat(decided.get_json()["new_deadline_at"]) == at(9, 28, 16, 0)
    clocks = api.call("CGW.dispatcher", "GET", f"/tasks/{sign['id']}/deadlines").get_json()["items"]
    assert {datetime.fromisoformat(c["deadline_at"]) for c in clocks if c["clock"] == "complete"} == {
        at(9, 28, 16, 0)}
    board = api.call("DCS.supervisor", "GET", "/overdue?department=CGW").get_json()["items"]
    assert [r["clock"] for r in board] == ["report_in"]
    again = api.call("CGW.head", "POST", f"/extensions/{pending[0]['id']}/reject")
    assert again.status_code == 409


def test_deadlines_reaching_a_year_without_holiday_data_are_flagged(api: Api, esc: Escalation) -> None:
    from engine import definitions
    from escalation.policy_store import deploy_policy

    api.clock.set(at(12, 28, 9, 0))
    with api.db.transaction() as session:
        definitions.deploy(session, api.app_ctx, definitions.bundle_from_path(WHISTLE_PACK / "whistle.bpmn"),
                           now=api.clock.now())
        deploy_policy(session, WHISTLE_PACK / "policies" / "whistle.yaml", now=api.clock.now())
    assert api.call("DCS.supervisor", "GET", "/calendar/warnings").get_json()["items"] == []
    case = api.call("HP.officer", "POST", "/instances", {"process": "whistle", "data": {
        **WHISTLE_DATA, "whistle_type": "difficult", "departments": ["CGW"]}}).get_json()
    warnings = api.call("DCS.supervisor", "GET", "/calendar/warnings").get_json()["items"]
    assert [(w["year"], w["tasks"]) for w in warnings] == [(2027, 1)]
    sign = case["open_tasks"][0]["id"]
    clocks = api.call("CGW.dispatcher", "GET", f"/tasks/{sign}/deadlines").get_json()["items"]
    assert all(c["missing_holiday_years"] == [2027] for c in clocks if c["level"] >= 4)
