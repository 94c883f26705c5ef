"""A street blows a whistle from a 12345 order it cannot solve alone: offered by the order's open
办理反馈 step (extension property ``links``), prefilled, started through the whistle's own page or the
API, and linked both ways; refused for outsiders, for a step that offers nothing, and once the step is done."""
from __future__ import annotations

import re
from typing import Any

import pytest
from lxml import html as lxml_html

from tests.support import PROCESSES, WHISTLE_DATA, Flow
from tests.web.conftest import Api, Pages

RXJB = PROCESSES / "rxjb"
ORDER = {"request_kind": "complaint", "urgency": "general", "category": "WFJS", "street": "HP",
         "community": "和平里社区", "address": "和平里七区 5 号楼楼顶",
         "description": "市民反映 5 号楼楼顶有人搭建违章建筑，多次劝阻无效。",
         "caller_phone": "13800000000", "disposition": "dispatch"}


def order_at_the_street(flow: Flow) -> int:
    """An order dispatched to 和平街道 and signed for: its 办理反馈 (which offers a whistle) is open."""
    flow.deploy()
    flow.deploy(RXJB / "rxjb.bpmn")
    case = flow.start("rxjb", ORDER, as_="DEMO12345.operator")
    flow.complete(flow.open_tasks(case, "Task_dispatch")[0].id, {"jurisdiction": "clear", "handler": "HP"},
                  as_="JSJB.dispatcher")
    flow.complete(flow.open_tasks(case, "Task_sign")[0].id, {"decision": "sign"}, as_="HP.handler")
    return case


def page(response: Any) -> Any:
    """The parsed page of a 200 answer."""
    assert response.status_code == 200, response.get_data(as_text=True)[:1000]
    return lxml_html.fromstring(response.get_data(as_text=True))


def test_the_street_blows_a_whistle_from_the_order_and_each_case_shows_the_other(pages: Pages, flow: Flow) -> None:
    order = order_at_the_street(flow)
    officer = pages.as_("HP.officer")
    offer = page(officer.get(f"/cases/{order}")).xpath("//a[@data-offer='whistle']/@href")
    assert offer == [f"/whistles/new?linked_from={order}"]
    # The handler holds no seat that blows whistles: nothing is offered to them.
    assert page(pages.as_("HP.handler").get(f"/cases/{order}")).xpath("//*[@data-offer]") == []

    form = page(officer.get(offer[0]))
    assert form.xpath("string(//textarea[@name='description'])") == ORDER["description"]
    assert form.xpath("//input[@name='address']/@value") == [ORDER["address"]]
    assert form.xpath("//input[@name='linked_from']/@value") == [str(order)]

    blown = officer.post("/whistles/new", data={
        "whistle_type": "enforcement", "category": "WFJS", "community": "和平里社区", "address": ORDER["address"],
        "description": ORDER["description"], "departments": ["GHZY", "CGW"], "linked_from": str(order)})
    assert blown.status_code == 302, blown.get_data(as_text=True)[:2000]
    whistle = int(re.search(r"/whistles/(\d+)$", blown.headers["Location"]).group(1))

    back = page(officer.get(f"/cases/{whistle}"))
    assert back.xpath("//li[@data-linked='source']/a/@href") == [f"/cases/{order}"]
    forth = page(officer.get(f"/cases/{order}"))
    assert forth.xpath("//li[@data-linked='started']/a/@href") == [f"/cases/{whistle}"]
    assert "已从本案发起关联案件" in forth.xpath("string(//body)")  # the order's timeline says so
    # A summoned department sees the whistle, not the order it came from.
    summoned = page(pages.as_("CGW.staff").get(f"/cases/{whistle}"))
    assert summoned.xpath("//li[@data-linked='source']") == []


def test_the_api_links_both_ways_and_refuses_what_is_not_offered(api: Api, flow: Flow) -> None:
    order = order_at_the_street(flow)
    start = {"process": "whistle", "data": {**WHISTLE_DATA}, "linked_from": order}
    outsider = api.call("LHQ-CGW.handler", "POST", "/instances", start)
    assert outsider.status_code in (403, 404)  # the neighbour district neither blows nor sees the order
    assert api.call("HP.officer", "POST", "/instances", {**start, "linked_from": 99999999}).status_code == 404
    started = api.call("HP.officer", "POST", "/instances", start)
    assert started.status_code == 201, started.get_json()
    whistle = started.get_json()["id"]
    assert started.get_json()["linked_from"] == order
    assert api.call("HP.officer", "GET", f"/instances/{order}").get_json()["linked_cases"] == [whistle]

    # Once 办理反馈 is done the order offers nothing more: refused, with the field named.
    flow.complete(flow.open_tasks(order, "Task_handle")[0].id,
                  {"contacted": True, "outcome": "solved", "result": "已联合执法拆除违建"}, as_="HP.handler")
    late = api.call("HP.officer", "POST", "/instances",
                    {**start, "data": {**WHISTLE_DATA, "address": "和平里七区 6 号楼"}})
    assert late.status_code == 422 and [e["field"] for e in late.get_json()["errors"]] == ["linked_from"]
    assert api.call("HP.officer", "GET", f"/instances/{order}").get_json()["linked_cases"] == [whistle]


@pytest.mark.parametrize("value", ["abc", "-1", "9" * 40])
def test_a_malformed_source_on_the_page_is_not_found(pages: Pages, flow: Flow, value: str) -> None:
    flow.deploy()
    assert pages.as_("HP.officer").get(f"/whistles/new?linked_from={value}").status_code == 404


def test_a_case_that_offers_nothing_says_so_over_an_empty_form(pages: Pages, flow: Flow) -> None:
    flow.deploy()
    other = flow.start("whistle", WHISTLE_DATA, as_="HP.officer")
    answer = pages.as_("HP.officer").get(f"/whistles/new?linked_from={other}")
    assert answer.status_code == 422
    tree = lxml_html.fromstring(answer.get_data(as_text=True))
    assert f"案件 {other} 当前不能发起" in tree.xpath("string(//*[@role='alert'])")
    assert tree.xpath("//input[@name='linked_from']") == []
