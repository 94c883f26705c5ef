"""API: assign, delegate, a task's colleagues, adding a department to a running whistle; statuses and bodies."""
from __future__ import annotations

from tests.support import WHISTLE_ANSWERS, Flow
from tests.web.conftest import Api


def _signed(flow: Flow) -> tuple[int, int]:
    case = flow.blow(departments=["CGW"])
    flow.complete(flow.task(case, "Task_sign", "CGW").id, WHISTLE_ANSWERS["Task_sign"], as_="CGW.dispatcher")
    return case, flow.task(case, "Task_report_in", "CGW").id


def test_assign_then_delegate_through_the_api(api: Api, flow: Flow) -> None:
    _case, task = _signed(flow)
    listed = api.call("CGW.dispatcher", "GET", f"/tasks/{task}/candidates")
    assert listed.status_code == 200
    body = listed.get_json()
    assert body["may_assign"] is True and body["may_delegate"] is False
    assert {c["username"] for c in body["items"]} == {"CGW.staff", "CGW.head"}
    done = api.call("CGW.dispatcher", "POST", f"/tasks/{task}/assign", {"user": "CGW.staff", "note": "请今天到场"})
    assert done.status_code == 200, done.get_json()
    assert (done.get_json()["status"], done.get_json()["assignee"]) == ("claimed", "CGW.staff")
    notices = api.call("CGW.staff", "GET", "/notifications").get_json()["items"]
    assert [n["kind"] for n in notices if n.get("task_id") == task] == ["assigned"]
    moved = api.call("CGW.staff", "POST", f"/tasks/{task}/delegate", {"user": "CGW.head"})
    assert moved.status_code == 200 and moved.get_json()["assignee"] == "CGW.head"
    again = api.call("CGW.staff", "POST", f"/tasks/{task}/delegate", {"user": "CGW.staff"})
    assert again.status_code == 403


def test_assign_refusals_have_their_statuses(api: Api, flow: Flow) -> None:
    _case, task = _signed(flow)
    assert api.call("CGW.staff", "POST", f"/tasks/{task}/assign", {"user": "CGW.staff"}).status_code == 403
    assert api.call("ZJW.dispatcher", "POST", f"/tasks/{task}/assign", {"user": "ZJW.staff"}).status_code == 404
    assert api.call("ZJW.dispatcher", "GET", f"/tasks/{task}/candidates").status_code == 404
    wrong = api.call("CGW.dispatcher", "POST", f"/tasks/{task}/assign", {"user": "CGW.dispatcher"})
    assert wrong.status_code == 422
    assert [e["field"] for e in wrong.get_json()["errors"]] == ["user"]
    assert api.call("CGW.dispatcher", "POST", f"/tasks/{task}/assign", {"note": "x"}).status_code == 422
    assert api.call("CGW.dispatcher", "POST", f"/tasks/{task}/assign",
                    {"user": "CGW.staff", "extra": 1}).status_code == 422
    flow.complete(task, WHISTLE_ANSWERS["Task_report_in"], as_="CGW.staff")
    assert api.call("CGW.dispatcher", "POST", f"/tasks/{task}/assign", {"user": "CGW.staff"}).status_code == 409


def test_the_street_adds_a_department_through_the_api(api: Api, flow: Flow) -> None:
    case = flow.blow(departments=["CGW"])
    added = api.call("HP.officer", "POST", f"/instances/{case}/departments",
                     {"department": "ZJW", "reason": "楼体结构需住建委鉴定"})
    assert added.status_code == 200, added.get_json()
    assert flow.task(case, "Task_sign", "ZJW")
    twice = api.call("HP.officer", "POST", f"/instances/{case}/departments",
                     {"department": "ZJW", "reason": "再来一次"})
    assert twice.status_code == 422 and twice.get_json()["errors"][0]["code"] == "already_summoned"
    street = api.call("HP.officer", "POST", f"/instances/{case}/departments", {"department": "XH", "reason": "街道"})
    assert street.status_code == 422 and street.get_json()["errors"][0]["code"] == "not_summonable"
    assert api.call("HP.leader", "POST", f"/instances/{case}/departments",
                    {"department": "SWJ", "reason": "管线"}).status_code == 403
    assert api.call("XH.officer", "POST", f"/instances/{case}/departments",
                    {"department": "SWJ", "reason": "管线"}).status_code == 404
    # The generic message route cannot bypass these rules.
    bypass = api.call("CGW.dispatcher", "POST", f"/instances/{case}/messages",
                      {"name": "whistle_add_department", "payload": {"department": "HP"}})
    assert bypass.status_code == 403
    for code in ("CGW", "ZJW"):
        flow.run_department(case, code)
        flow.rate(case, code)
    closed = api.call("HP.officer", "POST", f"/instances/{case}/departments", {"department": "SWJ", "reason": "管线"})
    assert closed.status_code == 409
