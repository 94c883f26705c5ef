"""一网通办 (processes/ywtb) end to end over real HTTP against ``whistle serve``, on both databases: a phone
request gets its tracking number at once, the machine suggests a unit, the dispatcher overrides it, the unit
refuses, the redispatch is signed and handled, a bad rating sends the unit to contact and rectify (no 退单 on
the way), a bad re-rating (整改后复评) sends it round again and a good one closes it, and the month's rates
(退单率, 差评整改率 beside 满意率 and 差评率) count it; a second refusal goes to the district's fallback unit by
rule; a 咨询 closes at intake; a duplicate is held back and merged. One server per database; each test uses its
own place."""
from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from engine.database import Database
from engine.models import ProcessInstance
from tests.support import PROCESSES
from tests.web.live_api import LiveApi

YWTB = PROCESSES / "ywtb"
pytestmark = pytest.mark.xdist_group("live_demo")  # one shared server per backend (tests/web/conftest.py)
REQUEST = {
    "channel": "hotline", "request_kind": "complaint", "limit_class": "general", "category": "SDGD", "street": "HP",
    "community": "和平里社区", "address": "和平里七区 5 号楼", "description": "5 号楼停水两天，物业不回应。",
    "requester_phone": "13800000000", "disposition": "dispatch",
}


@pytest.fixture
def live(live_demo: LiveApi) -> LiveApi:
    """The shared server with every pack deployed and the demo seeded, on each backend."""
    return live_demo


def suggestion(live: LiveApi, case: int) -> Any:
    """What the dispatch rules suggested for the case (the business rule task's data change), as stored."""
    db = Database(live.url)
    try:
        with db.transaction(write=False) as session:
            state = json.loads(session.execute(select(ProcessInstance.state).where(ProcessInstance.id == case))
                               .scalar_one())
    finally:
        db.dispose()
    return next(t["delta"]["updates"]["suggestion"] for t in state["tasks"].values()
                if t["task_spec"] == "Rule_suggest")


def mine(live: LiveApi, user: str, case: int) -> list[str]:
    """The elements of ``user``'s open tasks on the case."""
    return [t["element_id"] for t in live.open_tasks(user) if t["instance_id"] == case]


Counts = dict[str, dict[str, tuple[int, int]]]


def month_rates(live: LiveApi, month: str | None = None) -> tuple[str, Counts]:
    """The month (this one by default) and, per unit, each ywtb rate's (hits, of) as the rates API gives them."""
    answer = live.call("DCS.supervisor", "GET", "/rates?process=ywtb" + (f"&month={month}" if month else ""))
    assert answer.status == 200, answer.body
    return answer.body["month"], {line["code"]: {code: (r["hits"], r["of"]) for code, r in line["rates"].items()}
                                  for line in answer.body["units"]}


def added(before: Counts, after: Counts, unit: str, rate: str) -> tuple[int, int]:
    """What the month's (hits, of) of ``rate`` for ``unit`` gained (other tests of the module count too)."""
    hits, of = before.get(unit, {}).get(rate, (0, 0))
    now_hits, now_of = after[unit][rate]
    return now_hits - hits, now_of - of


def test_override_refusal_redispatch_bad_rating_rectification_good_rating(live: LiveApi) -> None:
    month, before = month_rates(live)
    case = live.start("SFQ-CY.clerk", "ywtb", REQUEST)  # the tracking number, given at once
    assert suggestion(live, case) == {"unit": "SWJ", "confidence": 0.75}  # 停水: the 水务局 leads
    # The dispatcher overrides the suggestion; both stay on record.
    live.work("SFQ-CY.dispatcher", case, "Task_dispatch",
              {"handler": "ZJW", "override_reason": "物业不作为，住建委主责"})
    assert mine(live, "ZJW.caseworker", case) == ["Task_sign"]
    # 退单 needs a reason; with one the request goes back to be dispatched again.
    sign = next(t for t in live.open_tasks("ZJW.caseworker", "Task_sign") if t["instance_id"] == case)
    assert live.call("ZJW.caseworker", "POST", f"/tasks/{sign['id']}/claim").status == 200
    bare = live.call("ZJW.caseworker", "POST", f"/tasks/{sign['id']}/complete", {"data": {"decision": "refuse"}})
    assert bare.status == 422 and [e["field"] for e in bare.body["errors"]] == ["refuse_reason"]
    refused = live.call("ZJW.caseworker", "POST", f"/tasks/{sign['id']}/complete",
                        {"data": {"decision": "refuse", "refuse_reason": "停水属供水管网，归水务局"}})
    assert refused.status == 200, refused.body
    live.work("SFQ-CY.dispatcher", case, "Task_redispatch", {"handler": "SWJ"})
    live.work("SWJ.caseworker", case, "Task_sign_again", {"decision": "sign"})
    live.work("SWJ.caseworker", case, "Task_handle", {"contacted": True, "result": "已抢修管道并恢复供水"})
    # A bad rating: the unit contacts the requester and rectifies; its tasks offer no 退单.
    live.work("SFQ-CY.clerk", case, "Task_rate", {"rating": 2, "comment": "水压仍然很低"})
    assert mine(live, "SWJ.caseworker", case) == ["Task_contact"]
    live.work("SWJ.caseworker", case, "Task_contact", {"contact_note": "诉求人反映高层水压不足"})
    live.work("SWJ.caseworker", case, "Task_rectify", {"rectification": "已调整二次供水泵组，水压恢复正常"})
    # The rectification is rated on its own task (整改后复评); still bad, the unit contacts and rectifies again.
    assert mine(live, "SFQ-CY.clerk", case) == ["Task_rerate"]
    live.work("SFQ-CY.clerk", case, "Task_rerate", {"rating": 1, "comment": "高层仍然没水"})
    assert mine(live, "SWJ.caseworker", case) == ["Task_contact"]
    live.work("SWJ.caseworker", case, "Task_contact", {"contact_note": "约定上门查看高层水箱"})
    live.work("SWJ.caseworker", case, "Task_rectify", {"rectification": "已清洗并更换高层水箱浮球阀"})
    live.work("SFQ-CY.clerk", case, "Task_rerate", {"rating": 5, "comment": "满意"})
    final = live.case("SFQ-CY.clerk", case).body
    assert final["status"] == "completed"
    done = [(h["actor"], h["payload"].get("task")) for h in final["history"] if h["action"] == "completed"]
    assert done == [("SFQ-CY.dispatcher", "派单（确认或改派）"), ("ZJW.caseworker", "签收"),
                    ("SFQ-CY.dispatcher", "改派"),
                    ("SWJ.caseworker", "改派后签收"), ("SWJ.caseworker", "办理反馈"), ("SFQ-CY.clerk", "好差评"),
                    ("SWJ.caseworker", "差评回访"), ("SWJ.caseworker", "差评整改"), ("SFQ-CY.clerk", "整改后复评"),
                    ("SWJ.caseworker", "差评回访"), ("SWJ.caseworker", "差评整改"), ("SFQ-CY.clerk", "整改后复评")]
    overrides = [h["payload"]["data"] for h in final["history"]
                 if h["action"] == "completed" and h["payload"].get("task") == "派单（确认或改派）"]
    assert overrides == [{"handler": "ZJW", "override_reason": "物业不作为，住建委主责"}]
    # The month's rates, each over its own form's answers, credited to the unit handling the case at the time:
    # 退单率 over 签收 answers (ZJW refused its one, SWJ signed its one); 差评整改率 over re-ratings (SWJ: one
    # good of two); 满意率 and 差评率 over first ratings only (SWJ: the one bad rating).
    _, after = month_rates(live, month)
    assert added(before, after, "ZJW", "returned") == (1, 1)
    assert added(before, after, "SWJ", "returned") == (0, 1)
    assert added(before, after, "SWJ", "rectified") == (1, 2)
    assert added(before, after, "SWJ", "satisfaction") == (0, 1)
    assert added(before, after, "SWJ", "bad") == (1, 1)
    assert added(before, after, "ZJW", "satisfaction") == (0, 0)  # no rating credits it: it never handled the case


def test_two_refusals_send_the_request_to_the_fallback_unit(live: LiveApi) -> None:
    case = live.start("SFQ-ZW.clerk", "ywtb", {**REQUEST, "channel": "window", "category": "QZ",
                                               "address": "和平里九区 2 号楼"})
    live.work("SFQ-CY.dispatcher", case, "Task_dispatch", {"handler": "GAFJ"})
    live.work("GAFJ.caseworker", case, "Task_sign", {"decision": "refuse", "refuse_reason": "不涉及治安，属房屋管理"})
    live.work("SFQ-CY.dispatcher", case, "Task_redispatch", {"handler": "ZJW"})
    live.work("ZJW.caseworker", case, "Task_sign_again",
              {"decision": "refuse", "refuse_reason": "群租整治需多部门联合"})
    # No third dispatch: the rule names the district's fallback unit, which handles it (it cannot refuse).
    assert mine(live, "SFQ-CY.dispatcher", case) == []
    assert [(t["element_id"], t["department"]) for t in live.open_tasks("SFQ-DD.caseworker")
            if t["instance_id"] == case] == [("Task_handle", "SFQ-DD")]


def test_a_question_answered_at_intake_closes_at_once(live: LiveApi) -> None:
    answered = {k: v for k, v in REQUEST.items() if k not in ("category", "street", "address")}
    answered.update(request_kind="consult", limit_class="brief", disposition="answered",
                    answer="已告知居住证办理所需材料和地点")
    started = live.call("SFQ-ZW.clerk", "POST", "/instances", {"process": "ywtb", "data": answered})
    assert started.status == 201 and started.body["status"] == "completed" and started.body["open_tasks"] == []
    # A closed case takes no merged request.
    merged = live.call("SFQ-ZW.clerk", "POST", f"/instances/{started.body['id']}/merge", {"data": REQUEST})
    assert merged.status == 409


def test_a_duplicate_is_held_back_and_merged(live: LiveApi) -> None:
    place = {**REQUEST, "address": "和平里十区 3 号楼"}
    first = live.start("SFQ-CY.clerk", "ywtb", place)
    again = {**place, "address": "和平里十区３号楼", "requester_phone": "13900000000", "channel": "window",
             "description": "楼里停水了，联系不上物业。"}
    doubted = live.call("SFQ-ZW.clerk", "POST", "/instances", {"process": "ywtb", "data": again})
    assert doubted.status == 422 and doubted.body["code"] == "needs_confirmation" and doubted.body["cases"] == [first]
    before = live.call("SFQ-CY.dispatcher", "GET", "/instances?process=ywtb").body["total"]
    merged = live.call("SFQ-ZW.clerk", "POST", f"/instances/{first}/merge", {"data": again})
    assert merged.status == 200, merged.body
    assert [h["payload"]["data"] for h in merged.body["history"] if h["action"] == "request_merged"] == [again]
    assert live.call("SFQ-CY.dispatcher", "GET", "/instances?process=ywtb").body["total"] == before  # no new case
    # The window's clerk now follows the case; a bad request, an outsider and an unknown case change nothing.
    assert live.case("SFQ-ZW.clerk", first).status == 200
    assert live.call("SFQ-ZW.clerk", "POST", f"/instances/{first}/merge", {"data": {"channel": "x"}}).status == 422
    assert live.call("SWJ.caseworker", "POST", f"/instances/{first}/merge", {"data": again}).status in (403, 404)
    assert live.call("SFQ-ZW.clerk", "POST", "/instances/999999/merge", {"data": again}).status == 404
    forced = live.call("SFQ-ZW.clerk", "POST", "/instances", {"process": "ywtb", "data": again, "confirmed": True})
    assert forced.status == 201


def test_an_automatic_dispatch_goes_straight_to_the_unit_and_can_be_recalled(live: LiveApi) -> None:
    # 道路不洁 suggested for the street of the place at 80 %: the table ywtb_auto dispatches it without a person.
    case = live.start("SFQ-CY.clerk", "ywtb", {**REQUEST, "category": "DLBJ", "address": "和平里十一区路口"})
    assert mine(live, "SFQ-CY.dispatcher", case) == []
    assert [(t["element_id"], t["department"]) for t in live.open_tasks("HP.caseworker")
            if t["instance_id"] == case] == [("Task_sign", "HP")]
    # Only a dispatcher may recall (the boundary's sent_by): not the street that would rather not sign.
    dodged = live.call("HP.caseworker", "POST", f"/instances/{case}/messages", {"name": "recall_dispatch"})
    assert dodged.status == 403 and mine(live, "HP.caseworker", case) == ["Task_sign"]
    # The dispatcher recalls it before the street signs: the sign is withdrawn and the dispatch is theirs.
    recalled = live.call("SFQ-CY.dispatcher", "POST", f"/instances/{case}/messages", {"name": "recall_dispatch"})
    assert recalled.status == 200, recalled.body
    assert mine(live, "HP.caseworker", case) == [] and mine(live, "SFQ-CY.dispatcher", case) == ["Task_dispatch"]
    live.work("SFQ-CY.dispatcher", case, "Task_dispatch", {"handler": "CGW", "override_reason": "主干道归城管委"})
    assert mine(live, "CGW.caseworker", case) == ["Task_sign"]
    # Once signed there is nothing to recall.
    live.work("CGW.caseworker", case, "Task_sign", {"decision": "sign"})
    late = live.call("SFQ-CY.dispatcher", "POST", f"/instances/{case}/messages", {"name": "recall_dispatch"})
    assert late.status == 409
