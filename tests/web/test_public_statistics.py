"""网上监督 (/public/statistics), signed out, on a small 一网通办 September 2026 (Asia/Shanghai):

- A: 停水 at 和平街道 (community 和平里社区), dispatched to HP, signed, handled, rated 5 stars.
- B: 停水, community typed as an address, dispatched to SWJ, signed, handled, rated 2 stars.
- D: 停水 taken in on 09-21 and dispatched to HP, never signed: overdue at HP by 09-28.
- R: a 举报 (request_kind report): in no list and no trend.

Hand-computed: 满意率 HP 100.0% (1/1), SWJ 0.0% (0/1); 差评率 SWJ 100.0% (1/1); 退单率 0/1 each. Streets: HP
alone (SWJ is a district department). Trend: 3 cases of 停水与管道爆裂 in September (the 举报 left out).
Every requester's name, phone, address and words stay off the page and out of its chart data.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import Flask
from lxml import html as lxml_html

from tests.support import PROCESSES, SHANGHAI, Flow
from tests.web.test_pages_quality import _english

YWTB = PROCESSES / "ywtb"
URL = "/public/statistics?process=ywtb&month=2026-09"
PERSON = {
    "channel": "hotline", "request_kind": "complaint", "limit_class": "general", "category": "SDGD", "street": "HP",
    "community": "和平里社区", "address": "和平里七区 5 号楼", "description": "5 号楼停水两天，物业不回应。",
    "requester_name": "张三丰", "requester_phone": "13912345678", "disposition": "dispatch",
}
REPORT = {**PERSON, "request_kind": "report", "category": "WFJS", "community": "安定门社区",
          "description": "举报邻居李四在楼顶私搭乱建，请为我保密。", "requester_name": "王小二",
          "requester_phone": "13700001111", "address": "安定门东大街 8 号"}
SECRETS = ["张三丰", "13912345678", "和平里七区", "号楼", "停水两天", "王小二", "13700001111", "李四",
           "安定门东大街", "私搭乱建", "SFQ-CY.clerk", "示范区城运中心受理员"]


def take_in(flow: Flow, data: dict[str, Any], handler: str) -> int:
    """A request taken in and dispatched to ``handler``."""
    case = flow.start("ywtb", data, as_="SFQ-CY.clerk")
    flow.complete(flow.open_tasks(case, "Task_dispatch")[0].id, {"handler": handler}, as_="SFQ-CY.dispatcher")
    return case


def handled(flow: Flow, data: dict[str, Any], handler: str, rating: int) -> int:
    """A request dispatched to ``handler``, signed, handled and rated ``rating`` stars."""
    case = take_in(flow, data, handler)
    flow.complete(flow.open_tasks(case, "Task_sign")[0].id, {"decision": "sign"}, as_=f"{handler}.caseworker")
    flow.complete(flow.open_tasks(case, "Task_handle")[0].id, {"contacted": True, "result": "已抢修并恢复供水"},
                  as_=f"{handler}.caseworker")
    flow.complete(flow.open_tasks(case, "Task_rate")[0].id,
                  {"rating": rating, "solved": "solved" if rating >= 3 else "unsolved", "comment": "张三丰说：谢谢"},
                  as_="SFQ-CY.clerk")
    return case


def september(flow: Flow) -> dict[str, int]:
    """The scenario of the module docstring; its case numbers by letter."""
    flow.deploy(YWTB / "ywtb.bpmn")
    flow.deploy_policy(YWTB / "policies" / "ywtb.yaml")
    flow.clock.set(datetime(2026, 9, 21, 9, 0, tzinfo=SHANGHAI))
    cases = {"D": take_in(flow, {**PERSON, "address": "和平里七区 3 号楼"}, "HP")}
    flow.clock.set(datetime(2026, 9, 28, 9, 0, tzinfo=SHANGHAI))
    cases["A"] = handled(flow, PERSON, "HP", 5)
    cases["B"] = handled(flow, {**PERSON, "community": "和平里七区 5 号楼", "address": "和平里七区 4 号楼"}, "SWJ", 2)
    cases["R"] = flow.start("ywtb", REPORT, as_="SFQ-CY.clerk")
    return cases


def cells(tree: Any, kind: str) -> dict[str, list[str]]:
    """Unit code -> the cells of its line (text squeezed), in the table ``kind``."""
    return {row.get("data-unit"): [" ".join(c.text_content().split()) for c in row.xpath("./th|./td")]
            for row in tree.xpath(f"//table[@data-table='{kind}']/tbody/tr")}


def test_signed_out_the_month_shows_rates_map_overdue_trends_and_cases_but_nobody(app: Flask, flow: Flow) -> None:
    cases = september(flow)
    response = app.test_client().get(URL)
    assert response.status_code == 200, response.get_data(as_text=True)[:800]
    body = response.get_data(as_text=True)
    tree = lxml_html.fromstring(body)
    # 满意率, 响应率, 解决率, 差评率, 退单率, 差评整改率 (processes/ywtb/policies/ywtb.yaml)
    assert cells(tree, "units") == {
        "HP": ["1", "和平街道", "100.0% 1/1", "100.0% 1/1", "100.0% 1/1", "0.0% 0/1", "0.0% 0/1", "— 0/0"],
        "SWJ": ["2", "区水务局", "0.0% 0/1", "100.0% 1/1", "0.0% 0/1", "100.0% 1/1", "0.0% 0/1", "— 0/0"],
    }  # ranked by 满意率 (no composite): no score column to repeat it
    assert cells(tree, "groups") == {
        "HP": ["1", "和平街道", "100.0% 1/1", "100.0% 1/1", "100.0% 1/1", "0.0% 0/1", "0.0% 0/1", "— 0/0"]}
    assert cells(tree, "overdue") == {"HP": ["和平街道", "1"]}
    # The map: every street and town of each district, coloured by 满意率; communities under their street.
    hp = tree.xpath("//li[@data-area='HP']")[0]
    assert "band-top" in hp.get("class") and "100.0%" in hp.text_content() and "和平里社区" in hp.text_content()
    assert "band-none" in tree.xpath("//li[@data-area='XH']")[0].get("class")
    assert {s.get("data-district") for s in tree.xpath("//section[@data-district]")} == {"示范区", "临河区"}
    # The list: the newest first, the 举报 left out; a community only when it names a unit of the street.
    listed = cells_of_cases(tree)
    assert list(listed) == [str(cases["B"]), str(cases["A"]), str(cases["D"])]
    assert listed[str(cases["A"])] == [str(cases["A"]), "2026-09-28", "停水与管道爆裂", "和平街道", "和平里社区",
                                       "已结案"]
    assert listed[str(cases["B"])][4] == "—"  # typed as an address: not a community the organisation knows
    assert listed[str(cases["D"])][-1] == "办理中"
    charts = json.loads(tree.xpath("string(//script[@id='public-stats-data'])"))
    assert charts["rates"]["items"] == [{"name": "和平街道", "value": 100.0}, {"name": "区水务局", "value": 0.0}]
    assert charts["trend"]["months"] == ["2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09"]
    assert charts["trend"]["series"] == [{"name": "停水与管道爆裂", "values": [0, 0, 0, 0, 0, 3]}]
    assert tree.xpath("//*[@data-chart='rates']") and tree.xpath("//*[@data-chart='trend']")
    # Nobody's data, anywhere in the page or its chart data; nothing of the 举报 but what is counted.
    assert [secret for secret in SECRETS if secret in body] == []
    assert f'data-case="{cases["R"]}"' not in body and "违法建设" not in body
    assert _english(body) == []
    assert "Content-Security-Policy" in response.headers and "<script>" not in body


def cells_of_cases(tree: Any) -> dict[str, list[str]]:
    """Case number -> the cells of its line in the case list, top to bottom."""
    return {row.get("data-case"): [" ".join(c.text_content().split()) for c in row.xpath("./td")]
            for row in tree.xpath("//table[@data-table='cases']/tbody/tr")}


def test_the_trends_count_by_another_choice_field_and_default_to_the_policys_process(app: Flask,
                                                                                      flow: Flow) -> None:
    september(flow)
    client = app.test_client()
    default = lxml_html.fromstring(client.get("/public/statistics").get_data(as_text=True))  # ywtb, September
    assert default.xpath("string(//*[@data-month])") == "2026-09"
    assert default.xpath("//select[@name='by']/option[@selected]/@value") == ["category"]
    by_channel = lxml_html.fromstring(client.get(URL + "&by=channel").get_data(as_text=True))
    series = json.loads(by_channel.xpath("string(//script[@id='public-stats-data'])"))["trend"]["series"]
    assert series == [{"name": "12345热线", "values": [0, 0, 0, 0, 0, 3]}]
    assert by_channel.xpath("//a[@rel='prev']/@href")[0].endswith("month=2026-08&by=channel")
    english = app.test_client()
    english.get("/lang/en")
    page = english.get(URL).get_data(as_text=True)
    assert "Satisfaction rate" in page and "Water cut and burst pipes" in page


def test_bad_queries_answer_the_error_page_and_extreme_months_work(app: Flask, flow: Flow) -> None:
    flow.deploy(YWTB / "ywtb.bpmn")
    flow.deploy_policy(YWTB / "policies" / "ywtb.yaml")
    flow.deploy_policy()  # the whistle's policy declares no rates
    client = app.test_client()
    for query, status in [("month=2026-13", 400), ("month=26-09", 400), ("month=1899-12", 400),
                          ("month=2026-09%00", 422), ("process=whistle", 404), ("process=nothing_here", 404),
                          ("process=" + "x" * 200, 400), ("by=address", 400), ("by=requester_name", 400),
                          ("by=%22%3E%3Cscript%3E", 400), ("month=1900-01", 200), ("month=2199-12", 200),
                          ("process=%E4%B8%80%E7%BD%91%E9%80%9A%E5%8A%9E", 404), ("by=%E7%B1%BB%E5%88%AB", 400)]:
        response = client.get(f"/public/statistics?{query}")
        assert response.status_code == status, query
        assert response.content_type.startswith("text/html"), query
        body = response.get_data(as_text=True)
        assert "Traceback" not in body and "<script>" not in body, query


def test_without_any_rates_the_page_says_so(app: Flask, flow: Flow) -> None:
    flow.deploy_policy()
    response = app.test_client().get("/public/statistics")
    assert response.status_code == 200
    assert lxml_html.fromstring(response.get_data(as_text=True)).xpath("string(//p[@class='empty'])") == \
        "暂无公开的统计数据。"
