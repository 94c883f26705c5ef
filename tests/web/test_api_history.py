"""The history API: paged, per case and across cases, filtered by actor, action and time, departments as codes."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from tests.support import WHISTLE_ANSWERS, Flow
from tests.web.conftest import Api


def _get(api: Api, username: str, path: str, **params: Any) -> Any:
    query = urlencode(params, doseq=True)
    return api.call(username, "GET", f"{path}?{query}" if query else path)


def _items(api: Api, username: str, path: str, **params: Any) -> list[dict[str, Any]]:
    response = _get(api, username, path, **params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def _signed_case(flow: Flow) -> tuple[int, int]:
    """A whistle to CGW and ZJW; CGW signs it a minute later; and a second whistle only to ZJW."""
    case = flow.blow(departments=["CGW", "ZJW"])
    flow.clock.advance(minutes=1)
    flow.complete(flow.task(case, "Task_sign", "CGW").id, WHISTLE_ANSWERS["Task_sign"], as_="CGW.dispatcher")
    flow.clock.advance(minutes=1)
    other = flow.blow(departments=["ZJW"])
    return case, other


def test_case_history_is_paged_newest_first_with_department_codes(api: Api, flow: Flow) -> None:
    case, _ = _signed_case(flow)
    entries = _items(api, "CGW.dispatcher", f"/instances/{case}/history")
    assert [e["action"] for e in entries][-1] == "started" and entries[0]["id"] > entries[-1]["id"]
    assert all(e["instance_id"] == case for e in entries)
    completed = next(e for e in entries if e["action"] == "completed")
    assert completed["actor"] == "CGW.dispatcher" and completed["department"] == "CGW"  # a code, not a name
    assert completed["payload"]["data"]["contact"] == WHISTLE_ANSWERS["Task_sign"]["contact"]
    oldest = _items(api, "CGW.dispatcher", f"/instances/{case}/history", order="oldest")
    assert [e["id"] for e in oldest] == [e["id"] for e in reversed(entries)]
    first = _get(api, "CGW.dispatcher", f"/instances/{case}/history", limit=2).get_json()
    rest = _items(api, "CGW.dispatcher", f"/instances/{case}/history", offset=first["next_offset"], limit=200)
    assert [e["id"] for e in first["items"] + rest] == [e["id"] for e in entries]
    assert _get(api, "CGW.dispatcher", f"/instances/{case}/history", offset=len(entries) - 2,
                limit=2).get_json()["next_offset"] is None


def test_history_filters_by_actor_action_and_time(api: Api, flow: Flow) -> None:
    start = flow.clock.now()
    case, other = _signed_case(flow)
    by_dispatcher = _items(api, "admin", "/history", actor="CGW.dispatcher")
    assert {e["action"] for e in by_dispatcher} == {"claimed", "completed"}
    assert [e["instance_id"] for e in _items(api, "admin", "/history", action="started")] == [other, case]
    later = start + timedelta(seconds=30)
    after_start = _items(api, "admin", "/history", since=later.isoformat())
    assert after_start and all(datetime.fromisoformat(e["at"]) >= later for e in after_start)
    assert {e["action"] for e in after_start} >= {"claimed", "completed", "started"}
    assert case not in {e["instance_id"] for e in _items(api, "admin", "/history", action="started",
                                                          since=flow.clock.now().isoformat())}
    assert [e["instance_id"] for e in _items(api, "admin", "/history", action="started",
                                             until=flow.clock.now().isoformat())] == [case]
    assert _items(api, "admin", "/history", actor="nobody") == []


def test_history_shows_only_cases_the_caller_may_see(api: Api, flow: Flow) -> None:
    case, other = _signed_case(flow)
    assert {e["instance_id"] for e in _items(api, "CGW.staff", "/history")} == {case}
    assert {e["instance_id"] for e in _items(api, "ZJW.staff", "/history")} == {case, other}
    assert _items(api, "SWJ.staff", "/history") == []
    hidden = _get(api, "CGW.staff", f"/instances/{other}/history")
    assert hidden.status_code == 404 and hidden.mimetype == "application/problem+json"
    assert _get(api, "CGW.staff", "/instances/999999/history").status_code == 404


def test_history_refuses_malformed_filters(api: Api, flow: Flow) -> None:
    flow.deploy()
    for query in ("order=sideways", "since=yesterday", "until=2026-09-28T09:00:00", "actor=" + "a" * 65,
                  "limit=0", "limit=201", "colour=red"):
        assert api.call("admin", "GET", f"/history?{query}").status_code == 400, query
