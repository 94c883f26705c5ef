"""Optimistic concurrency: ETag on cases and tasks, If-Match honoured (412 when stale, nothing changes)."""
from __future__ import annotations

from tests.support import WHISTLE_ANSWERS, Flow
from tests.web.conftest import Api


def _etag(api: Api, username: str, path: str) -> str:
    response = api.call(username, "GET", path)
    assert response.status_code == 200, response.get_json()
    return response.headers["ETag"]


def _stale(response: object) -> None:
    assert response.status_code == 412, response.get_json()  # type: ignore[attr-defined]
    assert response.mimetype == "application/problem+json"  # type: ignore[attr-defined]
    assert response.get_json()["code"] == "stale"  # type: ignore[attr-defined]


def test_a_case_carries_its_revision_as_etag_and_a_stale_one_cannot_withdraw_it(api: Api, flow: Flow) -> None:
    case = flow.blow(departments=["CGW", "ZJW"])
    before = _etag(api, "HP.officer", f"/instances/{case}")
    assert before == f'"case-{case}-{flow.instance(case).revision}"'
    flow.complete(flow.task(case, "Task_sign", "CGW").id, WHISTLE_ANSWERS["Task_sign"], as_="CGW.dispatcher")
    after = _etag(api, "HP.officer", f"/instances/{case}")
    assert after != before
    reason = {"reason": "街道已自行处置完毕"}
    _stale(api.call("HP.officer", "POST", f"/instances/{case}/cancel", reason, headers={"If-Match": before}))
    assert flow.instance(case).status.value == "running"
    _stale(api.call("HP.officer", "POST", f"/instances/{case}/messages", {"name": "anything"},
                    headers={"If-Match": before}))
    # The current tag passes the check (the case waits for no such message: the usual 409).
    assert api.call("HP.officer", "POST", f"/instances/{case}/messages", {"name": "anything"},
                    headers={"If-Match": after}).status_code == 409
    done = api.call("HP.officer", "POST", f"/instances/{case}/cancel", reason, headers={"If-Match": after})
    assert done.status_code == 200 and done.get_json()["status"] == "cancelled"
    assert done.headers["ETag"] == f'"case-{case}-{done.get_json()["revision"]}"' != after


def test_a_hidden_case_is_not_found_whatever_the_tag(api: Api, flow: Flow) -> None:
    case = flow.blow(departments=["CGW"])
    tag = _etag(api, "HP.officer", f"/instances/{case}")
    hidden = api.call("SWJ.staff", "POST", f"/instances/{case}/cancel", {"reason": "不是我的"},
                      headers={"If-Match": tag})
    assert hidden.status_code == 404


def test_a_task_etag_changes_when_it_is_claimed_and_a_stale_claim_or_release_changes_nothing(api: Api,
                                                                                            flow: Flow) -> None:
    case = flow.blow(departments=["CGW"])
    sign = flow.task(case, "Task_sign", "CGW")
    path = f"/tasks/{sign.id}"
    seen = _etag(api, "CGW.head", path)
    claimed = api.call("CGW.dispatcher", "POST", f"{path}/claim", headers={"If-Match": seen})
    assert claimed.status_code == 200 and claimed.headers["ETag"] != seen
    assert claimed.headers["ETag"] == _etag(api, "CGW.dispatcher", path)
    # The head read the task before the dispatcher took it: their release is refused, the claim stands.
    _stale(api.call("CGW.head", "POST", f"{path}/unclaim", headers={"If-Match": seen}))
    assert flow.open_tasks(case, "Task_sign")[0].assignee_id is not None
    _stale(api.call("CGW.head", "POST", f"{path}/claim", headers={"If-Match": seen}))
    released = api.call("CGW.head", "POST", f"{path}/unclaim", headers={"If-Match": claimed.headers["ETag"]})
    assert released.status_code == 200 and released.get_json()["status"] == "open"


def test_completing_on_a_stale_task_tag_is_refused_and_a_missing_or_star_tag_works_as_before(api: Api,
                                                                                           flow: Flow) -> None:
    case = flow.blow(departments=["CGW", "ZJW"])
    sign = flow.task(case, "Task_sign", "CGW")
    path = f"/tasks/{sign.id}"
    seen = _etag(api, "CGW.dispatcher", path)
    # Someone else moves the case on (ZJW signs): the case revision in the CGW task's tag is old now.
    flow.complete(flow.task(case, "Task_sign", "ZJW").id, WHISTLE_ANSWERS["Task_sign"], as_="ZJW.dispatcher")
    body = {"data": WHISTLE_ANSWERS["Task_sign"]}
    _stale(api.call("CGW.dispatcher", "POST", f"{path}/complete", body, headers={"If-Match": seen}))
    _stale(api.call("CGW.dispatcher", "POST", f"{path}/complete", body, headers={"If-Match": 'W/"weak", "other"'}))
    assert flow.open_tasks(case, "Task_sign", "CGW")[0].status.value == "open"
    fresh = _etag(api, "CGW.dispatcher", path)
    assert fresh != seen
    done = api.call("CGW.dispatcher", "POST", f"{path}/complete", body, headers={"If-Match": f'"other", {fresh}'})
    assert done.status_code == 200 and done.get_json()["status"] == "completed"
    report_in = flow.task(case, "Task_report_in", "CGW")
    assert api.call("CGW.staff", "POST", f"/tasks/{report_in.id}/claim", headers={"If-Match": "*"}).status_code == 200
    assert api.call("CGW.staff", "POST", f"/tasks/{report_in.id}/unclaim").status_code == 200


def test_a_tag_tells_nothing_about_a_task_of_another_department(api: Api, flow: Flow) -> None:
    case = flow.blow(departments=["CGW"])
    sign = flow.task(case, "Task_sign", "CGW")
    assert api.call("ZJW.staff", "POST", f"/tasks/{sign.id}/claim", headers={"If-Match": '"x"'}).status_code == 404


def test_handing_a_task_over_honours_if_match_and_an_idempotency_key(api: Api, flow: Flow) -> None:
    """Assign and delegate take the task actions' path: a stale tag changes nothing, a repeated key acts once."""
    case = flow.blow(departments=["CGW"])
    flow.complete(flow.task(case, "Task_sign", "CGW").id, WHISTLE_ANSWERS["Task_sign"], as_="CGW.dispatcher")
    report_in = flow.task(case, "Task_report_in", "CGW")
    path = f"/tasks/{report_in.id}"
    seen = _etag(api, "CGW.head", path)
    flow.claim(report_in.id, as_="CGW.staff")  # the task changed after the head read it
    _stale(api.call("CGW.head", "POST", f"{path}/assign", {"user": "CGW.staff"}, headers={"If-Match": seen}))
    assert flow.open_tasks(case, "Task_report_in")[0].assignee_id == flow.actor("CGW.staff").user_id
    fresh = _etag(api, "CGW.staff", path)
    key = {"Idempotency-Key": "hand-over-1"}
    first = api.call("CGW.staff", "POST", f"{path}/delegate", {"user": "CGW.head"}, headers={"If-Match": fresh, **key})
    assert first.status_code == 200 and first.get_json()["assignee"] == "CGW.head"
    again = api.call("CGW.staff", "POST", f"{path}/delegate", {"user": "CGW.head"}, headers={"If-Match": fresh, **key})
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json() and again.headers["ETag"] == first.headers["ETag"]
    history = api.call("CGW.head", "GET", f"/instances/{case}/history?action=delegated").get_json()["items"]
    assert len(history) == 1  # two requests, one hand-over
