"""The task query and the case query of the API: filters, sorts, totals, and only what the caller may see."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from engine import withdrawal
from tests.support import WHISTLE_DATA, Flow
from tests.web.conftest import Api


def _get(api: Api, username: str, path: str, **params: Any) -> dict[str, Any]:
    query = urlencode(params, doseq=True)
    response = api.call(username, "GET", f"{path}?{query}" if query else path)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _ids(page: dict[str, Any]) -> list[int]:
    return [item["id"] for item in page["items"]]


def _two_whistles(api: Api, flow: Flow) -> tuple[int, int]:
    """Two whistles a minute apart: the first about a rooftop, the second (urgent, a business key) about a road."""
    flow.deploy()
    flow.deploy_policy()
    first = flow.start("whistle", {**WHISTLE_DATA, "departments": ["CGW", "ZJW"]}, as_="HP.officer")
    flow.clock.advance(minutes=1)
    second = api.call("HP.officer", "POST", "/instances", {
        "process": "whistle", "business_key": "HP-2026-0042",
        "data": {**WHISTLE_DATA, "whistle_type": "emergency", "departments": ["CGW"],
                 "description": "道路塌陷，车辆无法通行，需要多个部门立即到场处置。"}})
    assert second.status_code == 201, second.get_json()
    return first, second.get_json()["id"]


def test_task_query_filters_by_case_process_element_key_department_role_and_text(api: Api, flow: Flow) -> None:
    first, second = _two_whistles(api, flow)
    everything = _get(api, "CGW.dispatcher", "/tasks")
    assert everything["total"] == 2 and len(everything["items"]) == 2
    assert {t["instance_id"] for t in everything["items"]} == {first, second}
    assert _get(api, "CGW.dispatcher", "/tasks", instance=first)["total"] == 1
    assert [t["instance_id"] for t in _get(api, "CGW.dispatcher", "/tasks", business_key="HP-2026-0042")["items"]] \
        == [second]
    assert _get(api, "CGW.dispatcher", "/tasks", process="whistle", element="Task_sign", department="CGW",
                role="dept_dispatcher")["total"] == 2
    assert _get(api, "CGW.dispatcher", "/tasks", element="Task_handle")["total"] == 0
    assert _get(api, "CGW.dispatcher", "/tasks", process="nope")["total"] == 0
    assert _get(api, "CGW.dispatcher", "/tasks", role="dept_head")["total"] == 0
    road = _get(api, "CGW.dispatcher", "/tasks", q="道路塌陷")
    assert [t["instance_id"] for t in road["items"]] == [second]
    assert _get(api, "CGW.dispatcher", "/tasks", q="道路 违章")["total"] == 0  # every word must appear


def test_task_query_never_shows_another_departments_tasks(api: Api, flow: Flow) -> None:
    first, _ = _two_whistles(api, flow)
    assert _get(api, "ZJW.staff", "/tasks", department="CGW")["total"] == 0
    assert _get(api, "ZJW.staff", "/tasks", instance=first, status=["open", "claimed", "completed"])["total"] == 1
    assert _get(api, "SWJ.staff", "/tasks", instance=first)["total"] == 0


def test_task_query_by_status_and_assignee_with_paging_and_total(api: Api, flow: Flow) -> None:
    first, second = _two_whistles(api, flow)
    sign = flow.task(first, "Task_sign", "CGW")
    flow.claim(sign.id, as_="CGW.dispatcher")
    assert _get(api, "CGW.dispatcher", "/tasks")["total"] == 1  # open only, as before
    both = _get(api, "CGW.dispatcher", "/tasks", status=["open", "claimed"], limit=1)
    assert both["total"] == 2 and len(both["items"]) == 1 and both["next_offset"] == 1
    assert _get(api, "CGW.dispatcher", "/tasks", status=["open", "claimed"], offset=5)["total"] == 2  # past the end
    held = _get(api, "CGW.dispatcher", "/tasks", status="claimed", assignee="CGW.dispatcher")
    assert _ids(held) == [sign.id] and held["items"][0]["assignee"] == "CGW.dispatcher"
    assert _get(api, "CGW.dispatcher", "/tasks", status="claimed", assignee="CGW.head")["total"] == 0
    mine = _get(api, "CGW.dispatcher", "/tasks", scope="mine", status=["claimed", "completed"])
    assert _ids(mine) == [sign.id]
    flow.complete(sign.id, {"contact": "王科长 13800000000"}, as_="CGW.dispatcher")
    done = _get(api, "CGW.dispatcher", "/tasks", scope="mine", status="completed")
    assert _ids(done) == [sign.id] and done["items"][0]["completed_at"]
    with api.db.transaction() as session:
        withdrawal.withdraw(session, api.app_ctx, flow.actor("HP.officer"), second, "街道已自行处置完毕",
                            now=api.clock.now())
    cancelled = _get(api, "CGW.dispatcher", "/tasks", status="cancelled", instance=second)
    assert cancelled["total"] == 1 and cancelled["items"][0]["status"] == "cancelled"


def test_task_query_by_deadline_and_overdue_agrees_with_the_overdue_rule(api: Api, flow: Flow) -> None:
    first, second = _two_whistles(api, flow)  # emergency: sign within 15 min; enforcement: 2 working hours
    rows = {t["instance_id"]: t for t in _get(api, "CGW.dispatcher", "/tasks")["items"]}
    urgent_due, normal_due = rows[second]["due_at"], rows[first]["due_at"]
    assert urgent_due is not None and normal_due is not None and urgent_due < normal_due
    by_due = _get(api, "CGW.dispatcher", "/tasks", sort="due")
    assert [t["instance_id"] for t in by_due["items"]] == [second, first]
    assert [t["instance_id"] for t in _get(api, "CGW.dispatcher", "/tasks", sort="-due")["items"]] == [first, second]
    assert [t["instance_id"] for t in _get(api, "CGW.dispatcher", "/tasks", sort="-created")["items"]] \
        == [second, first]
    assert _ids(_get(api, "CGW.dispatcher", "/tasks", due_before=urgent_due)) == [rows[second]["id"]]
    assert _ids(_get(api, "CGW.dispatcher", "/tasks", due_after=urgent_due)) == [rows[first]["id"]]
    assert _get(api, "CGW.dispatcher", "/tasks", overdue="true")["total"] == 0
    flow.clock.set(datetime.fromisoformat(urgent_due) - timedelta(microseconds=1))
    assert _get(api, "CGW.dispatcher", "/tasks", overdue="true")["total"] == 0
    flow.clock.set(datetime.fromisoformat(urgent_due))  # at its deadline a clock is overdue (deadline_at <= now)
    assert _ids(_get(api, "CGW.dispatcher", "/tasks", overdue="true")) == [rows[second]["id"]]
    flow.clock.advance(minutes=30)  # the urgent sign is late, the other is not
    late = _get(api, "CGW.dispatcher", "/tasks", overdue="true")
    assert _ids(late) == [rows[second]["id"]]
    assert _ids(_get(api, "CGW.dispatcher", "/tasks", overdue="false")) == [rows[first]["id"]]
    board = api.call("CGW.head", "GET", "/overdue").get_json()["items"]
    assert {r["task_id"] for r in board} == {rows[second]["id"]}


def test_task_query_refuses_what_it_does_not_know(api: Api, flow: Flow) -> None:
    flow.deploy()
    for query in ("status=late", "sort=name", "overdue=yes", "role=king", "due_before=tomorrow",
                  "status=" + "&status=".join(["open"] * 11), "q=" + "字" * 101):
        response = api.call("CGW.dispatcher", "GET", f"/tasks?{query}")
        assert response.status_code == 400, query
        assert response.mimetype == "application/problem+json"


def test_case_query_filters_by_key_process_status_department_street_time_and_text(api: Api, flow: Flow) -> None:
    first, second = _two_whistles(api, flow)
    start = api.clock.now()
    assert _ids(_get(api, "HP.officer", "/instances")) == [second, first]
    assert _ids(_get(api, "HP.officer", "/instances", sort="created")) == [first, second]
    assert _ids(_get(api, "HP.officer", "/instances", business_key="HP-2026-0042")) == [second]
    assert _get(api, "HP.officer", "/instances", process="whistle", status="running", street="HP")["total"] == 2
    assert _get(api, "HP.officer", "/instances", street="AD")["total"] == 0
    assert _ids(_get(api, "HP.officer", "/instances", department="ZJW")) == [first]
    assert _ids(_get(api, "HP.officer", "/instances", started_after=start.isoformat())) == [second]
    assert _ids(_get(api, "HP.officer", "/instances", started_before=start.isoformat())) == [first]
    assert _ids(_get(api, "HP.officer", "/instances", q="塌陷")) == [second]
    assert _ids(_get(api, "HP.officer", "/instances", q="0042")) == [second]
    page = _get(api, "HP.officer", "/instances", limit=1)
    assert page["total"] == 2 and page["next_offset"] == 1
    summary = page["items"][0]
    assert summary["business_key"] == "HP-2026-0042" and summary["street"] == "HP" and summary["revision"] >= 1
    with api.db.transaction() as session:
        withdrawal.withdraw(session, api.app_ctx, flow.actor("HP.officer"), second, "街道已自行处置完毕",
                            now=api.clock.now())
    assert _ids(_get(api, "HP.officer", "/instances", status=["cancelled", "suspended"])) == [second]
    assert _ids(_get(api, "HP.officer", "/instances", status="running")) == [first]


def test_case_query_shows_only_cases_the_caller_takes_part_in(api: Api, flow: Flow) -> None:
    first, second = _two_whistles(api, flow)
    assert _ids(_get(api, "ZJW.staff", "/instances")) == [first]
    assert _get(api, "ZJW.staff", "/instances", department="CGW")["total"] == 1  # still only its own case
    assert _get(api, "SWJ.staff", "/instances", street="HP")["total"] == 0
    assert _get(api, "admin", "/instances")["total"] == 2


def test_a_member_of_two_departments_narrows_by_department(api: Api, flow: Flow, make_user: Any) -> None:
    make_user("two.hats", "两个部门的接哨员", [("CGW", "dept_dispatcher"), ("ZJW", "dept_dispatcher")])
    first, _ = _two_whistles(api, flow)
    assert _get(api, "two.hats", "/tasks")["total"] == 3  # CGW twice, ZJW once
    zjw = _get(api, "two.hats", "/tasks", department="ZJW")
    assert zjw["total"] == 1 and zjw["items"][0]["department"] == "ZJW" and zjw["items"][0]["instance_id"] == first
    assert {t["department"] for t in _get(api, "two.hats", "/tasks", department="CGW")["items"]} == {"CGW"}
    assert _get(api, "two.hats", "/tasks", department="SWJ")["total"] == 0
