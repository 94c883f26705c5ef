"""The JSON API: tokens, problem+json errors, inbox visibility, claim semantics, forms."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine import accounts, definitions
from tests.support import WHISTLE_DATA, WHISTLE_PACK
from tests.web.conftest import Api


def _deploy(api: Api) -> None:
    with api.db.transaction() as session:
        from engine.context import EngineContext

        definitions.deploy(session, EngineContext(), definitions.bundle_from_path(WHISTLE_PACK / "whistle.bpmn"),
                           now=api.clock.now())


def _blow(api: Api, **changes: object) -> dict:
    _deploy(api)
    response = api.call("HP.officer", "POST", "/instances", {"process": "whistle", "data": {**WHISTLE_DATA, **changes}})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _open_task(api: Api, username: str, element: str) -> dict:
    items = api.call(username, "GET", "/tasks?scope=department&status=open").get_json()["items"]
    found = [t for t in items if t["element_id"] == element]
    assert found, f"{username} sees no open {element}"
    return found[0]


def test_health_needs_no_token(api: Api) -> None:
    response = api.call(None, "GET", "/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize("header", [None, "Bearer nope", "Bearer wst_forged-token", "Basic dXNlcjpwYXNz"])
def test_requests_without_a_valid_token_get_401_problem(api: Api, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = api.call(None, "GET", "/tasks", headers=headers)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["code"] == "unauthenticated"


def test_an_expired_token_is_refused_and_says_so_in_the_callers_language(api: Api) -> None:
    with api.db.transaction() as session:
        token = accounts.issue_token(session, accounts.user_by_name(session, "HP.officer"), label="short",
                                     now=api.clock.now(), expires_at=api.clock.now() + timedelta(hours=1))
    headers = {"Authorization": f"Bearer {token}"}
    assert api.call(None, "GET", "/tasks", headers=headers).status_code == 200
    api.clock.advance(minutes=60)  # expiry is exclusive: at the instant itself the token is gone
    expired = api.call(None, "GET", "/tasks", headers={**headers, "Accept-Language": "zh-CN"})
    assert expired.status_code == 401 and expired.mimetype == "application/problem+json"
    assert expired.get_json()["code"] == "token_expired"
    assert "该 API 令牌已于 2026-09-28 10:00 过期" in expired.get_json()["detail"]
    english = api.call(None, "GET", "/tasks", headers={**headers, "Accept-Language": "en"})
    assert "expired at 2026-09-28 10:00" in english.get_json()["detail"]


def test_start_returns_201_with_location_and_the_case(api: Api) -> None:
    case = _blow(api)
    assert case["status"] == "running"
    assert case["data"]["street"] == "HP"
    assert sorted(t["department"] for t in case["open_tasks"]) == ["CGW", "GHZY", "ZJW"]
    got = api.call("HP.officer", "GET", f"/instances/{case['id']}")
    assert got.status_code == 200
    assert got.get_json()["id"] == case["id"]


def test_start_with_invalid_data_gets_422_per_field_and_creates_nothing(api: Api) -> None:
    _deploy(api)
    bad = {**WHISTLE_DATA, "category": "NOPE", "departments": ["CGW", "XXX"], "extra": 1}
    del bad["description"]
    response = api.call("HP.officer", "POST", "/instances", {"process": "whistle", "data": bad})
    assert response.status_code == 422
    fields = {e["field"]: e["code"] for e in response.get_json()["errors"]}
    assert fields == {"category": "enum", "departments[1]": "unknown_department", "description": "required",
                      "extra": "undeclared"}
    listing = api.call("HP.officer", "GET", "/instances").get_json()
    assert listing["items"] == []


def test_only_street_officers_may_blow_a_whistle(api: Api) -> None:
    _deploy(api)
    response = api.call("CGW.staff", "POST", "/instances", {"process": "whistle", "data": WHISTLE_DATA})
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"


def test_unknown_process_is_404(api: Api) -> None:
    response = api.call("HP.officer", "POST", "/instances", {"process": "nope", "data": {}})
    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"


def test_each_department_sees_only_its_own_queue(api: Api) -> None:
    _blow(api)
    for code in ("CGW", "ZJW", "GHZY"):
        items = api.call(f"{code}.dispatcher", "GET", "/tasks").get_json()["items"]
        assert [t["department"] for t in items] == [code]
    assert api.call("SWJ.dispatcher", "GET", "/tasks").get_json()["items"] == []


def test_other_departments_get_404_not_403_for_tasks_and_cases(api: Api) -> None:
    case = _blow(api)
    task = _open_task(api, "CGW.dispatcher", "Task_sign")
    for method, path in [("GET", f"/tasks/{task['id']}"), ("POST", f"/tasks/{task['id']}/claim"),
                         ("POST", f"/tasks/{task['id']}/complete"), ("GET", f"/instances/{case['id']}")]:
        response = api.call("SWJ.dispatcher", method, path, {"data": {}} if "complete" in path else None)
        assert response.status_code == 404, (method, path)
    assert api.call("SWJ.dispatcher", "GET", "/tasks/999999").status_code == 404


def test_second_claimer_gets_409_naming_the_holder(api: Api) -> None:
    _blow(api)
    task = _open_task(api, "CGW.dispatcher", "Task_sign")
    first = api.call("CGW.dispatcher", "POST", f"/tasks/{task['id']}/claim")
    assert first.status_code == 200 and first.get_json()["assignee"] == "CGW.dispatcher"
    second = api.call("CGW.head", "POST", f"/tasks/{task['id']}/claim")
    assert second.status_code == 409
    assert second.mimetype == "application/problem+json"
    assert second.get_json()["claimed_by"] == "CGW.dispatcher"


def test_staff_without_the_lane_role_may_see_but_not_claim(api: Api) -> None:
    _blow(api)
    task = _open_task(api, "CGW.staff", "Task_sign")
    response = api.call("CGW.staff", "POST", f"/tasks/{task['id']}/claim")
    assert response.status_code == 403


def test_unclaim_by_assignee_or_head_only(api: Api) -> None:
    _blow(api)
    task = _open_task(api, "CGW.dispatcher", "Task_sign")
    api.call("CGW.dispatcher", "POST", f"/tasks/{task['id']}/claim")
    other = api.call("CGW.staff", "POST", f"/tasks/{task['id']}/unclaim")
    assert other.status_code == 403
    head = api.call("CGW.head", "POST", f"/tasks/{task['id']}/unclaim")
    assert head.status_code == 200 and head.get_json()["status"] == "open"
    again = api.call("CGW.head", "POST", f"/tasks/{task['id']}/unclaim")
    assert again.status_code == 409


def test_complete_claims_an_open_task_and_moves_the_case_on(api: Api) -> None:
    case = _blow(api)
    task = _open_task(api, "CGW.dispatcher", "Task_sign")
    done = api.call("CGW.dispatcher", "POST", f"/tasks/{task['id']}/complete", {"data": {"note": "收到"}})
    assert done.status_code == 200
    assert done.get_json()["status"] == "completed" and done.get_json()["assignee"] == "CGW.dispatcher"
    history = api.call("HP.officer", "GET", f"/instances/{case['id']}").get_json()["history"]
    assert [h["action"] for h in history if h["task_id"] == task["id"]][-2:] == ["claimed", "completed"]
    assert _open_task(api, "CGW.staff", "Task_report_in")["instance_id"] == case["id"]


def test_completing_a_task_that_is_no_longer_open_is_409(api: Api) -> None:
    _blow(api)
    task = _open_task(api, "CGW.dispatcher", "Task_sign")
    assert api.call("CGW.dispatcher", "POST", f"/tasks/{task['id']}/complete", {"data": {}}).status_code == 200
    again = api.call("CGW.dispatcher", "POST", f"/tasks/{task['id']}/complete", {"data": {}})
    assert again.status_code == 409
    assert "already been completed" in again.get_json()["detail"]


def test_completing_a_task_someone_else_claimed_is_409(api: Api) -> None:
    _blow(api)
    task = _open_task(api, "CGW.dispatcher", "Task_sign")
    api.call("CGW.head", "POST", f"/tasks/{task['id']}/claim")
    response = api.call("CGW.dispatcher", "POST", f"/tasks/{task['id']}/complete", {"data": {}})
    assert response.status_code == 409
    assert response.get_json()["claimed_by"] == "CGW.head"


def test_invalid_form_data_is_422_per_field_and_changes_nothing(api: Api) -> None:
    case = _blow(api, departments=["CGW"])
    sign = _open_task(api, "CGW.dispatcher", "Task_sign")
    api.call("CGW.dispatcher", "POST", f"/tasks/{sign['id']}/complete", {"data": {}})
    report = _open_task(api, "CGW.staff", "Task_report_in")
    before = api.call("HP.officer", "GET", f"/instances/{case['id']}").get_json()
    response = api.call("CGW.staff", "POST", f"/tasks/{report['id']}/complete",
                        {"data": {"on_site_staff": "x", "note": 5, "hacker": True, "department": "SWJ"}})
    assert response.status_code == 422
    errors = {e["field"]: e["code"] for e in response.get_json()["errors"]}
    assert errors == {"on_site_staff": "minLength", "note": "type", "hacker": "undeclared",
                      "department": "undeclared"}
    after = api.call("HP.officer", "GET", f"/instances/{case['id']}").get_json()
    assert after["revision"] == before["revision"]
    assert after["history"] == before["history"]
    assert api.call("CGW.staff", "GET", f"/tasks/{report['id']}").get_json()["status"] == "open"


def test_non_json_and_malformed_bodies_are_problems_not_tracebacks(api: Api) -> None:
    _blow(api)
    task = _open_task(api, "CGW.dispatcher", "Task_sign")
    token = api.token("CGW.dispatcher")
    raw = api.client.post(f"/api/v1/tasks/{task['id']}/complete", data="{not json",
                          headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert raw.status_code == 400 and raw.mimetype == "application/problem+json"
    text = api.client.post(f"/api/v1/tasks/{task['id']}/complete", data="hello",
                           headers={"Authorization": f"Bearer {token}", "Content-Type": "text/plain"})
    assert text.status_code == 415
    wrong = api.call("CGW.dispatcher", "POST", f"/tasks/{task['id']}/complete", {"data": ["a"]})
    assert wrong.status_code == 422


@pytest.mark.parametrize("query", ["scope=everyone", "status=lost", "limit=0", "limit=abc", "offset=-1"])
def test_bad_query_parameters_are_400(api: Api, query: str) -> None:
    response = api.call("CGW.staff", "GET", f"/tasks?{query}")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_task_list_pages(api: Api) -> None:
    for _ in range(3):
        _blow(api, departments=["CGW"])
    first = api.call("CGW.dispatcher", "GET", "/tasks?limit=2").get_json()
    assert len(first["items"]) == 2 and first["next_offset"] == 2
    rest = api.call("CGW.dispatcher", "GET", "/tasks?limit=2&offset=2").get_json()
    assert len(rest["items"]) == 1 and rest["next_offset"] is None
    ids = [t["id"] for t in first["items"] + rest["items"]]
    assert len(set(ids)) == 3


def test_mine_scope_lists_claimed_and_completed_tasks_of_the_caller(api: Api) -> None:
    _blow(api)
    task = _open_task(api, "CGW.dispatcher", "Task_sign")
    api.call("CGW.dispatcher", "POST", f"/tasks/{task['id']}/claim")
    mine = api.call("CGW.dispatcher", "GET", "/tasks?scope=mine&status=claimed").get_json()["items"]
    assert [t["id"] for t in mine] == [task["id"]]
    api.call("CGW.dispatcher", "POST", f"/tasks/{task['id']}/complete", {"data": {}})
    done = api.call("CGW.dispatcher", "GET", "/tasks?scope=mine&status=completed").get_json()["items"]
    assert [t["id"] for t in done] == [task["id"]]
    assert api.call("CGW.head", "GET", "/tasks?scope=mine&status=completed").get_json()["items"] == []


def test_task_detail_carries_its_form_schema(api: Api) -> None:
    _blow(api)
    task = _open_task(api, "CGW.dispatcher", "Task_sign")
    body = api.call("CGW.dispatcher", "GET", f"/tasks/{task['id']}").get_json()
    assert body["form"]["title"] == "签收"
    assert body["may_work"] is True
    assert api.call("CGW.staff", "GET", f"/tasks/{task['id']}").get_json()["may_work"] is False


def test_supervisor_sees_every_case_but_no_department_queue(api: Api) -> None:
    case = _blow(api)
    assert api.call("DCS.supervisor", "GET", f"/instances/{case['id']}").status_code == 200
    assert api.call("DCS.supervisor", "GET", "/tasks").get_json()["items"] == []


def test_categories_suggest_the_departments_to_summon(api: Api) -> None:
    items = {c["code"]: c for c in api.call("HP.officer", "GET", "/categories").get_json()["items"]}
    assert items["WFJS"]["suggested_departments"] == ["GHZY", "ZJW"]
    assert items["SDGD"]["suggested_departments"] == ["SWJ", "CGW"]


def test_me_lists_seats(api: Api) -> None:
    body = api.call("CGW.head", "GET", "/me").get_json()
    assert body["seats"] == [{"department": "CGW", "department_name": "区城市管理委员会", "role": "dept_head"}]


def test_message_to_a_case_not_waiting_for_it_is_409(api: Api) -> None:
    case = _blow(api)
    response = api.call("HP.officer", "POST", f"/instances/{case['id']}/messages", {"name": "nothing", "payload": {}})
    assert response.status_code == 409
    unseen = api.call("SWJ.staff", "POST", f"/instances/{case['id']}/messages", {"name": "nothing"})
    assert unseen.status_code == 404


def test_unknown_route_and_wrong_method_are_problems(api: Api) -> None:
    assert api.call("HP.officer", "GET", "/nowhere").mimetype == "application/problem+json"
    response = api.call("HP.officer", "DELETE", "/tasks")
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"


def test_a_member_of_several_departments_sees_their_queues_merged_in_order(api: Api, make_user: Any) -> None:

    make_user("multi.head", "两部门负责人", [("CGW", "dept_head"), ("ZJW", "dept_head")])
    for departments in (["CGW"], ["ZJW"], ["CGW", "ZJW"], ["SWJ"]):
        _blow(api, departments=departments)
        api.clock.advance(minutes=1)
    first = api.call("multi.head", "GET", "/tasks?limit=3").get_json()
    rest = api.call("multi.head", "GET", "/tasks?limit=3&offset=3").get_json()
    items = first["items"] + rest["items"]
    assert [t["department"] for t in items] == ["CGW", "ZJW", "CGW", "ZJW"]
    assert [t["created_at"] for t in items] == sorted(t["created_at"] for t in items)
    assert first["next_offset"] == 3 and rest["next_offset"] is None
