"""一网通办 (processes/ywtb) through the API on both databases: a phone request gets its tracking number at
once, the machine suggests a unit, the dispatcher overrides it, the unit refuses, the redispatch is signed
and handled, a bad rating sends the unit to contact and rectify (no 退单 on the way), and a good rating
closes it; a second refusal goes to the district's fallback unit by rule; a 咨询 closes at intake."""
from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from engine.models import ProcessInstance
from tests.support import PROCESSES, Flow
from tests.web.conftest import Api

YWTB = PROCESSES / "ywtb"
REQUEST = {
    "channel": "hotline", "request_kind": "complaint", "limit_class": "general", "category": "SDGD", "street": "HP",
    "community": "和平里社区", "address": "和平里七区 5 号楼", "description": "5 号楼停水两天，物业不回应。",
    "requester_phone": "13800000000", "disposition": "dispatch",
}


@pytest.fixture
def ywtb(flow: Flow) -> Flow:
    """The pack's process and policy deployed."""
    flow.deploy(YWTB / "ywtb.bpmn")
    flow.deploy_policy(YWTB / "policies" / "ywtb.yaml")
    return flow


def open_tasks(api: Api, user: str, case: int) -> list[dict[str, Any]]:
    """The open tasks of ``user``'s units on the case."""
    answer = api.call(user, "GET", f"/tasks?scope=department&status=open&instance={case}")
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["items"]


def work(api: Api, user: str, case: int, element: str, data: dict[str, Any]) -> Any:
    """Claim and complete ``user``'s open ``element`` of the case."""
    mine = [t for t in open_tasks(api, user, case) if t["element_id"] == element]
    assert len(mine) == 1, f"{user}: {element} of case {case}: {open_tasks(api, user, case)}"
    assert api.call(user, "POST", f"/tasks/{mine[0]['id']}/claim").status_code == 200
    done = api.call(user, "POST", f"/tasks/{mine[0]['id']}/complete", {"data": data})
    assert done.status_code == 200, done.get_json()
    return done


def suggestion(flow: Flow, case: int) -> Any:
    """What the dispatch rules suggested for the case (the business rule task's data change)."""
    with flow.db.transaction(write=False) as session:
        state = json.loads(session.execute(select(ProcessInstance.state).where(ProcessInstance.id == case))
                           .scalar_one())
    return next(t["delta"]["updates"]["suggestion"] for t in state["tasks"].values()
                if t["task_spec"] == "Rule_suggest")


def test_override_refusal_redispatch_bad_rating_rectification_good_rating(api: Api, ywtb: Flow) -> None:
    started = api.call("SFQ-CY.clerk", "POST", "/instances", {"process": "ywtb", "data": REQUEST})
    assert started.status_code == 201, started.get_json()
    case = started.get_json()["id"]  # the tracking number, given at once
    assert suggestion(ywtb, case) == {"unit": "SWJ", "confidence": 0.75}  # 停水: the 水务局 leads
    # The dispatcher overrides the suggestion; both stay on record.
    work(api, "SFQ-CY.dispatcher", case, "Task_dispatch",
         {"handler": "ZJW", "override_reason": "物业不作为，住建委主责"})
    assert [t["department"] for t in open_tasks(api, "ZJW.caseworker", case)] == ["ZJW"]
    # 退单 needs a reason; with one the request goes back to be dispatched again.
    sign = open_tasks(api, "ZJW.caseworker", case)[0]
    assert api.call("ZJW.caseworker", "POST", f"/tasks/{sign['id']}/claim").status_code == 200
    bare = api.call("ZJW.caseworker", "POST", f"/tasks/{sign['id']}/complete", {"data": {"decision": "refuse"}})
    assert bare.status_code == 422 and [e["field"] for e in bare.get_json()["errors"]] == ["refuse_reason"]
    refused = api.call("ZJW.caseworker", "POST", f"/tasks/{sign['id']}/complete",
                       {"data": {"decision": "refuse", "refuse_reason": "停水属供水管网，归水务局"}})
    assert refused.status_code == 200, refused.get_json()
    work(api, "SFQ-CY.dispatcher", case, "Task_redispatch", {"handler": "SWJ"})
    work(api, "SWJ.caseworker", case, "Task_sign_again", {"decision": "sign"})
    work(api, "SWJ.caseworker", case, "Task_handle", {"contacted": True, "result": "已抢修管道并恢复供水"})
    # A bad rating: the unit contacts the requester and rectifies; its tasks offer no 退单.
    work(api, "SFQ-CY.clerk", case, "Task_rate", {"rating": 2, "comment": "水压仍然很低"})
    assert [t["element_id"] for t in open_tasks(api, "SWJ.caseworker", case)] == ["Task_contact"]
    work(api, "SWJ.caseworker", case, "Task_contact", {"contact_note": "诉求人反映高层水压不足"})
    work(api, "SWJ.caseworker", case, "Task_rectify", {"rectification": "已调整二次供水泵组，水压恢复正常"})
    work(api, "SFQ-CY.clerk", case, "Task_rate", {"rating": 5, "comment": "满意"})
    final = api.call("SFQ-CY.clerk", "GET", f"/instances/{case}").get_json()
    assert final["status"] == "completed"
    done = [(h["actor"], h["payload"].get("task")) for h in final["history"] if h["action"] == "completed"]
    assert done == [("SFQ-CY.dispatcher", "派单（确认或改派）"), ("ZJW.caseworker", "签收"),
                    ("SFQ-CY.dispatcher", "改派"),
                    ("SWJ.caseworker", "改派后签收"), ("SWJ.caseworker", "办理反馈"), ("SFQ-CY.clerk", "好差评"),
                    ("SWJ.caseworker", "差评回访"), ("SWJ.caseworker", "差评整改"), ("SFQ-CY.clerk", "好差评")]
    overrides = [h["payload"]["data"] for h in final["history"]
                 if h["action"] == "completed" and h["payload"].get("task") == "派单（确认或改派）"]
    assert overrides == [{"handler": "ZJW", "override_reason": "物业不作为，住建委主责"}]


def test_two_refusals_send_the_request_to_the_fallback_unit(api: Api, ywtb: Flow) -> None:
    case = api.call("SFQ-ZW.clerk", "POST", "/instances",
                    {"process": "ywtb", "data": {**REQUEST, "channel": "window", "category": "QZ"}}).get_json()["id"]
    work(api, "SFQ-CY.dispatcher", case, "Task_dispatch", {"handler": "GAFJ"})
    work(api, "GAFJ.caseworker", case, "Task_sign", {"decision": "refuse", "refuse_reason": "不涉及治安，属房屋管理"})
    work(api, "SFQ-CY.dispatcher", case, "Task_redispatch", {"handler": "ZJW"})
    work(api, "ZJW.caseworker", case, "Task_sign_again",
         {"decision": "refuse", "refuse_reason": "群租整治需多部门联合"})
    # No third dispatch: the rule names the district's fallback unit, which handles it (it cannot refuse).
    assert open_tasks(api, "SFQ-CY.dispatcher", case) == []
    assert [(t["element_id"], t["department"]) for t in open_tasks(api, "SFQ-DD.caseworker", case)] == \
        [("Task_handle", "SFQ-DD")]


def test_a_question_answered_at_intake_closes_at_once(api: Api, ywtb: Flow) -> None:
    answered = {k: v for k, v in REQUEST.items() if k not in ("category", "street", "address")}
    answered.update(request_kind="consult", limit_class="brief", disposition="answered",
                    answer="已告知居住证办理所需材料和地点")
    started = api.call("SFQ-ZW.clerk", "POST", "/instances", {"process": "ywtb", "data": answered})
    assert started.status_code == 201 and started.get_json()["status"] == "completed"
    assert started.get_json()["open_tasks"] == []


def test_a_duplicate_is_offered_for_merging_and_merged(api: Api, ywtb: Flow) -> None:
    first = api.call("SFQ-CY.clerk", "POST", "/instances", {"process": "ywtb", "data": REQUEST}).get_json()["id"]
    again = {**REQUEST, "address": "和平里七区５号楼", "requester_phone": "13900000000", "channel": "window",
             "description": "楼里停水了，联系不上物业。"}
    doubted = api.call("SFQ-ZW.clerk", "POST", "/instances", {"process": "ywtb", "data": again})
    assert doubted.status_code == 422, doubted.get_json()
    body = doubted.get_json()
    assert body["code"] == "needs_confirmation" and body["cases"] == [first]
    merged = api.call("SFQ-ZW.clerk", "POST", f"/instances/{first}/merge", {"data": again})
    assert merged.status_code == 200, merged.get_json()
    kept = [h["payload"]["data"] for h in merged.get_json()["history"] if h["action"] == "request_merged"]
    assert kept == [again]
    assert api.call("SFQ-ZW.clerk", "GET", "/instances?process=ywtb").get_json()["total"] == 1  # no second case
    # Another district's request for the same text is not the same problem; a new one may still be started.
    assert api.call("SFQ-ZW.clerk", "POST", f"/instances/{first}/merge", {"data": {"channel": "x"}}).status_code == 422
    assert api.call("SWJ.caseworker", "POST", f"/instances/{first}/merge", {"data": again}).status_code in (403, 404)
    assert api.call("SFQ-ZW.clerk", "POST", "/instances/999999/merge", {"data": again}).status_code == 404
    forced = api.call("SFQ-ZW.clerk", "POST", "/instances", {"process": "ywtb", "data": again, "confirmed": True})
    assert forced.status_code == 201


def test_a_closed_case_takes_no_merged_request(api: Api, ywtb: Flow) -> None:
    answered = {k: v for k, v in REQUEST.items() if k not in ("category", "street", "address")}
    answered.update(request_kind="consult", disposition="answered", answer="已告知停水原因和恢复时间")
    closed = api.call("SFQ-CY.clerk", "POST", "/instances", {"process": "ywtb", "data": answered}).get_json()["id"]
    refused = api.call("SFQ-CY.clerk", "POST", f"/instances/{closed}/merge", {"data": REQUEST})
    assert refused.status_code == 409
