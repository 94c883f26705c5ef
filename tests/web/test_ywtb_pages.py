"""人机协同 on the dispatcher's page: the rule's suggestion is shown with its confidence and filled in, so
one click confirms it; choosing another unit overrides it; both are on record. The redispatch after a
退单 starts empty (the suggestion may be the unit that refused)."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

from engine import learned_models
from tests.support import Flow
from tests.web.conftest import Pages
from tests.web.test_ywtb_http import REQUEST, YWTB


def dispatch_task(flow: Flow, data: dict[str, Any]) -> tuple[int, int]:
    """A request taken in by phone: (case, its 派单 task)."""
    flow.deploy(YWTB / "ywtb.bpmn")
    case = flow.start("ywtb", data, as_="SFQ-CY.clerk")
    return case, flow.open_tasks(case, "Task_dispatch")[0].id


def page(pages: Pages, user: str, task: int) -> Any:
    """The parsed task page."""
    answer = pages.as_(user).get(f"/tasks/{task}")
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    return lxml_html.fromstring(answer.get_data(as_text=True))


def test_one_click_confirms_the_suggestion_and_another_choice_overrides_it(pages: Pages, flow: Flow) -> None:
    case, task = dispatch_task(flow, REQUEST)  # 停水: the rules suggest the 水务局 at 75 %
    shown = page(pages, "SFQ-CY.dispatcher", task)
    hint = shown.xpath("string(//*[@data-suggested='handler'])")
    assert hint == "规则建议：承办单位 水务局（置信度 75%）。已在下方预填：直接提交即确认，也可改选。"
    assert shown.xpath("//select[@name='handler']/option[@selected]/@value") == ["SWJ"]
    confirmed = pages.as_("SFQ-CY.dispatcher").post(f"/tasks/{task}/complete", data={"handler": "SWJ"})
    assert confirmed.status_code == 302, confirmed.get_data(as_text=True)[:1000]
    assert [t.department_id is not None for t in flow.open_tasks(case, "Task_sign")] == [True]

    other, other_task = dispatch_task(flow, {**REQUEST, "category": "HJWS", "address": "和平里八区"})
    assert page(pages, "SFQ-CY.dispatcher", other_task).xpath(
        "//select[@name='handler']/option[@selected]/@value") == ["HP"]  # 暴露垃圾: the street of the place
    overridden = pages.as_("SFQ-CY.dispatcher").post(f"/tasks/{other_task}/complete",
                                                     data={"handler": "CGW", "override_reason": "大件垃圾需城管委清运"})
    assert overridden.status_code == 302
    sign = flow.open_tasks(other, "Task_sign")[0]
    refuse = {"decision": "refuse", "refuse_reason": "本单位只管道路，小区内归街道"}
    assert pages.as_("CGW.caseworker").post(f"/tasks/{sign.id}/complete", data=refuse).status_code == 302
    again = page(pages, "SFQ-CY.dispatcher", flow.open_tasks(other, "Task_redispatch")[0].id)
    assert again.xpath("//*[@data-suggested]") == []
    assert again.xpath("//select[@name='handler']/option[@selected]/@value") in ([], [""])


def test_the_supervisor_sees_how_often_suggestions_were_taken(pages: Pages, api: Any, flow: Flow) -> None:
    for n, (category, chosen) in enumerate((("SDGD", "SWJ"), ("SDGD", "SWJ"), ("HJWS", "CGW"))):  # 2 taken, 1 not
        _, task = dispatch_task(flow, {**REQUEST, "category": category, "address": f"和平里 {n} 号楼"})
        assert pages.as_("SFQ-CY.dispatcher").post(f"/tasks/{task}/complete", data={"handler": chosen}).status_code \
            == 302
    shown = lxml_html.fromstring(pages.as_("DCS.supervisor").get("/supervise/suggestions").get_data(as_text=True))
    this_week = shown.xpath("//table[@data-table='weeks']/tbody/tr[1]/td/text()")
    assert [t.strip() for t in this_week[1:]] == ["3", "2", "66.7%", "0 / 0"]  # no model suggested any
    overrides = shown.xpath("//table[@data-table='overrides']/tbody/tr")
    assert [[c.strip() for c in row.xpath("td//text()") if c.strip()] for row in overrides] == [
        ["handler", "和平街道", "城管委", "1"]]
    assert shown.xpath("//table[@data-table='overrides']//td/@data-code") == ["HP", "CGW"]
    body = api.call("SFQ-CY.dispatcher", "GET", "/suggestions?weeks=2&process=ywtb").get_json()
    assert [(w["suggested"], w["agreed"]) for w in body["weeks"]][-1] == (3, 2) and len(body["weeks"]) == 2
    assert api.call("CGW.staff", "GET", "/suggestions").get_json()["overrides"] == []  # not their unit's tasks
    assert api.call("SFQ-CY.dispatcher", "GET", "/suggestions?weeks=53").status_code == 400
    assert pages.as_("CGW.staff").get("/supervise/suggestions").status_code == 403


def test_the_dispatcher_recalls_an_automatic_dispatch_from_the_case_page(pages: Pages, flow: Flow) -> None:
    flow.deploy(YWTB / "ywtb.bpmn")
    case = flow.start("ywtb", {**REQUEST, "category": "DLBJ", "address": "和平里路口"}, as_="SFQ-CY.clerk")
    assert [t.element_id for t in flow.open_tasks(case)] == ["Task_sign"]  # dispatched by the rules alone
    shown = lxml_html.fromstring(pages.as_("SFQ-CY.dispatcher").get(f"/cases/{case}").get_data(as_text=True))
    assert [b.text_content().strip() for b in shown.xpath("//button[@data-message]")] == ["召回"]
    street = lxml_html.fromstring(pages.as_("HP.caseworker").get(f"/cases/{case}").get_data(as_text=True))
    assert street.xpath("//button[@data-message]") == []  # the unit may not recall its own task
    assert pages.as_("HP.caseworker").post(f"/cases/{case}/messages/recall_dispatch").status_code == 302
    assert [t.element_id for t in flow.open_tasks(case)] == ["Task_sign"]  # refused: still at the street
    recalled = pages.as_("SFQ-CY.dispatcher").post(f"/cases/{case}/messages/recall_dispatch")
    assert recalled.status_code == 302
    assert [t.element_id for t in flow.open_tasks(case)] == ["Task_dispatch"]
    after = lxml_html.fromstring(pages.as_("SFQ-CY.dispatcher").get(f"/cases/{case}").get_data(as_text=True))
    assert after.xpath("//button[@data-message]") == []  # nothing left to recall


def test_a_learned_suggestion_says_so_and_offers_the_next_choices(pages: Pages, flow: Flow, tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    pack = Path(shutil.copytree(YWTB, tmp_path / "ywtb"))  # the pack, learning after 3 decisions instead of 50
    bpmn = pack / "ywtb.bpmn"
    bpmn.write_text(bpmn.read_text(encoding="utf-8").replace('name="learn_after" value="50"',
                                                             'name="learn_after" value="3"'), encoding="utf-8")
    flow.deploy(bpmn)
    lane = {**REQUEST, "category": "TCGL", "street": "JS", "description": "私家车乱停，堵住了消防通道"}
    for n in range(3):  # the dispatchers send blocked fire lanes to the police, not to the 交通委 the rules name
        case = flow.start("ywtb", {**lane, "address": f"建设路 {n} 号"}, as_="SFQ-CY.clerk")
        flow.complete(flow.open_tasks(case, "Task_dispatch")[0].id, {"handler": "GAFJ"}, as_="SFQ-CY.dispatcher")
    with flow.db.transaction() as session:  # the worker's training
        learned_models.retrain(session, flow.clock.now())
    case = flow.start("ywtb", {**lane, "address": "建设路 9 号"}, as_="SFQ-CY.clerk")
    shown = page(pages, "SFQ-CY.dispatcher", flow.open_tasks(case, "Task_dispatch")[0].id)
    hint = shown.xpath("//*[@data-suggested='handler']")[0]
    assert hint.get("data-source") == "learned"
    assert hint.text_content().startswith("按以往派单学习的建议：承办单位 公安分局（置信度 ")
    others = hint.xpath("string(.//*[@class='alternatives'])")
    assert others.startswith("其他可能：") and "交通委" in others  # the rules' unit stays one click away
    assert shown.xpath("//select[@name='handler']/option[@selected]/@value") == ["GAFJ"]
    parking = flow.start("ywtb", {**REQUEST, "category": "TCGL", "street": "JS", "address": "建设路 10 号",
                                  "description": "小区停车位规划不合理"}, as_="SFQ-CY.clerk")
    ruled = page(pages, "SFQ-CY.dispatcher", flow.open_tasks(parking, "Task_dispatch")[0].id)
    assert ruled.xpath("//*[@data-suggested='handler']/@data-source") == ["rules"]  # no words for the police here
