"""接诉即办 (processes/rxjb) end to end: over real HTTP against ``whistle serve`` (接、派、退单、改派、办、评,
answered on the spot, 挂账) on both databases."""
from __future__ import annotations

from dataclasses import replace

import pytest

from tests.support import PROCESSES
from tests.web.live_api import LiveApi

RXJB = PROCESSES / "rxjb"
ORDER = {
    "request_kind": "complaint", "urgency": "general", "category": "HJWS", "street": "HP",
    "community": "和平里社区", "address": "和平里七区 5 号楼北侧", "description": "楼北侧垃圾桶满溢多日无人清运。",
    "caller_name": "张先生", "caller_phone": "13800000000", "disposition": "dispatch",
}
REFUSAL = "该处垃圾桶归住建委物业监管，不属城管委职责"
VISIT = {"valid": True, "responded": True, "solved": True, "satisfaction": "satisfied"}


pytestmark = pytest.mark.xdist_group("live_demo")  # one shared server per backend (tests/web/conftest.py)


@pytest.fixture
def hotline(live_demo: LiveApi) -> LiveApi:
    """The shared server on each backend, listing rxjb's tasks only (each test here leaves no order open)."""
    return replace(live_demo, process="rxjb")


def test_an_order_is_dispatched_refused_redispatched_handled_and_visited(hotline: LiveApi) -> None:
    case_id = hotline.start("DEMO12345.operator", "rxjb", ORDER)
    # 派: the district centre of HP's district (JSJB) dispatches; no handler has anything yet.
    assert [t["department"] for t in hotline.open_tasks("JSJB.dispatcher", "Task_dispatch")] == ["JSJB"]
    assert hotline.open_tasks("CGW.handler") == [] and hotline.open_tasks("ZJW.handler") == []
    hotline.work("JSJB.dispatcher", case_id, "Task_dispatch", {"jurisdiction": "clear", "handler": "CGW"})

    # 签收 lands in the unit the dispatcher chose, and only there.
    signs = hotline.open_tasks("CGW.handler", "Task_sign")
    assert [(t["instance_id"], t["department"]) for t in signs] == [(case_id, "CGW")]
    assert hotline.open_tasks("ZJW.handler") == [] and hotline.open_tasks("HP.handler") == []
    assert hotline.call("ZJW.handler", "POST", f"/tasks/{signs[0]['id']}/claim").status == 404

    # 退单 needs a reason; without one nothing changes.
    refused_bare = hotline.call("CGW.handler", "POST", f"/tasks/{signs[0]['id']}/complete",
                                {"data": {"decision": "refuse"}})
    assert refused_bare.status == 422
    assert [t["id"] for t in hotline.open_tasks("CGW.handler", "Task_sign")] == [signs[0]["id"]]
    hotline.work("CGW.handler", case_id, "Task_sign", {"decision": "refuse", "refuse_reason": REFUSAL})
    assert hotline.open_tasks("CGW.handler") == []
    assert hotline.open_tasks("ZJW.handler") == []
    # Back at the dispatcher, who can read why.
    again = hotline.open_tasks("JSJB.dispatcher", "Task_dispatch")
    assert [t["instance_id"] for t in again] == [case_id]
    seen = hotline.case("JSJB.dispatcher", case_id)
    assert seen.status == 200
    reasons = [h["payload"]["data"].get("refuse_reason") for h in seen.body["history"]
               if h["action"] == "completed" and h["payload"].get("data", {}).get("decision") == "refuse"]
    assert reasons == [REFUSAL]

    hotline.work("JSJB.dispatcher", case_id, "Task_dispatch", {"handler": "ZJW", "dispatch_note": "住建委承办"})
    assert hotline.open_tasks("CGW.handler") == []
    # A sign sent with no decision signs: the earlier refuse in the case data is not inherited.
    hotline.work("ZJW.handler", case_id, "Task_sign", {"contact": "李科长 13900000000"})
    assert hotline.open_tasks("JSJB.dispatcher") == []
    hotline.work("ZJW.handler", case_id, "Task_handle",
                 {"contacted": True, "outcome": "solved", "result": "已协调物业当日清运并增加清运频次"})
    assert hotline.open_tasks("ZJW.handler") == []
    visits = hotline.open_tasks("JSJB.visitor", "Task_visit")
    assert [(t["instance_id"], t["department"]) for t in visits] == [(case_id, "JSJB")]
    hotline.work("JSJB.visitor", case_id, "Task_visit", VISIT)

    final = hotline.case("DEMO12345.operator", case_id)
    assert final.status == 200 and final.body["status"] == "completed" and final.body["open_tasks"] == []
    done = [(h["actor"], h["payload"].get("task")) for h in final.body["history"] if h["action"] == "completed"]
    assert [actor for actor, _ in done] == ["JSJB.dispatcher", "CGW.handler", "JSJB.dispatcher", "ZJW.handler",
                                            "ZJW.handler", "JSJB.visitor"]
    # The neighbouring district's units see nothing of it.
    assert hotline.case("LHQ-CGW.handler", case_id).status == 404
    assert hotline.open_tasks("LHQ-CGW.handler") == []


def test_an_order_answered_on_the_spot_ends_without_dispatch(hotline: LiveApi) -> None:
    answered = {key: value for key, value in ORDER.items() if key not in ("category", "street", "address")}
    answered.update(request_kind="consult", disposition="answered", answer="已告知居住证办理所需材料和地点")
    case_id = hotline.start("JSJB.operator", "rxjb", answered)
    final = hotline.case("JSJB.operator", case_id).body
    assert final["status"] == "completed" and final["open_tasks"] == []
    assert hotline.open_tasks("JSJB.dispatcher") == [] and hotline.open_tasks("JSJB.visitor") == []
    # Dispatching without a street is refused at the start form: nothing is started.
    missing = {**ORDER}
    del missing["street"]
    assert hotline.call("JSJB.operator", "POST", "/instances", {"process": "rxjb", "data": missing}).status == 422
    assert hotline.open_tasks("JSJB.dispatcher") == []


def test_a_parked_order_waits_in_long_term_tracking_until_the_centre_closes_it(hotline: LiveApi) -> None:
    case_id = hotline.start("DEMO12345.operator", "rxjb", {**ORDER, "urgency": "complex"})
    hotline.work("JSJB.dispatcher", case_id, "Task_dispatch", {"handler": "HP"})
    hotline.work("HP.handler", case_id, "Task_sign", {})
    hotline.work("HP.handler", case_id, "Task_handle", {
        "contacted": True, "outcome": "pending_long_term", "result": "需改造垃圾收集点，已纳入年度计划",
        "long_term_reason": "需立项改造，资金明年到位", "plan_date": "2027-06-30"})
    assert hotline.open_tasks("HP.handler") == []
    # JSJB.visitor and JSJB.dispatcher share the unit JSJB: its list holds the tracking task, no 回访 yet.
    assert hotline.open_tasks("JSJB.visitor", "Task_visit") == []
    tracking = hotline.open_tasks("JSJB.dispatcher", "Task_long_term")
    assert [t["instance_id"] for t in tracking] == [case_id]
    assert hotline.case("DEMO12345.operator", case_id).body["status"] != "completed"
    hotline.work("JSJB.dispatcher", case_id, "Task_long_term", {"solution": "垃圾收集点改造完工并投入使用"})
    assert hotline.open_tasks("JSJB.dispatcher", "Task_long_term") == []
    hotline.work("JSJB.visitor", case_id, "Task_visit", VISIT)
    assert hotline.case("DEMO12345.operator", case_id).body["status"] == "completed"
