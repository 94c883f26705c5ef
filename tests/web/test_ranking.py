"""The monthly ranking page (三率), its CSV and GET /api/v1/rates, on the scenario of tests/escalation/test_rates.py.

Hand-computed for September 2026 (see that module): CGW 50.0% (1/2), 100.0% (2/2), 100.0% (2/2), score 85.00;
XH 100.0% (3/3), 66.7% (2/3), 66.7% (2/3), 76.67; HP 66.7% (2/3), 33.3% (1/3), 66.7% (2/3), 55.00 with 4 answers.
"""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from lxml import html as lxml_html

from tests.escalation.test_rates import YES, answer_order, answer_scenario, deploy_hotline
from tests.support import Flow
from tests.web.conftest import Api, Pages

SEPTEMBER_UNITS = {
    "CGW": ["1", "50.0% 1/2", "100.0% 2/2", "100.0% 2/2", "85.00", "2 / 2"],
    "XH": ["2", "100.0% 3/3", "66.7% 2/3", "66.7% 2/3", "76.67", "3 / 3"],
    "HP": ["3", "66.7% 2/3", "33.3% 1/3", "66.7% 2/3", "55.00", "3 / 4"],
}
URL = "/supervise/ranking?process=rates_hotline&month=2026-09"
CSV_HEADER = ["排名表", "排名", "单位代码", "单位", "回访数", "有效回访数",
              "响应率（%）", "响应率分子", "响应率分母", "解决率（%）", "解决率分子", "解决率分母",
              "满意率（%）", "满意率分子", "满意率分母", "综合得分"]


@pytest.fixture
def september(flow: Flow) -> Flow:
    """The orders of tests/escalation/test_rates.py, answered."""
    return answer_scenario(flow)


def table(page: str, kind: str) -> dict[str, list[str]]:
    """Unit code -> the cells of its line but the unit's name, text squeezed, in the table ``kind``."""
    tree = lxml_html.fromstring(page)
    found: dict[str, list[str]] = {}
    for row in tree.xpath(f"//table[@data-table='{kind}']/tbody/tr"):
        cells = [" ".join(td.text_content().split()) for td in row.xpath("./td") if td.get("data-col") != "unit"]
        found[row.get("data-unit")] = cells
    return found


def order(page: str, kind: str) -> list[str]:
    """The unit codes of a table, top to bottom."""
    return list(table(page, kind))


def rows_of(data: bytes) -> list[dict[str, str]]:
    """A CSV download read as Excel would: UTF-8 with a BOM."""
    assert data.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_units_and_streets_are_ranked_with_counts_beside_each_rate(pages: Pages, september: Flow) -> None:
    page = pages.as_("DCS.supervisor").get(URL).get_data(as_text=True)
    assert order(page, "units") == ["CGW", "XH", "HP"]
    assert table(page, "units") == SEPTEMBER_UNITS
    assert table(page, "groups") == {"XH": ["1", *SEPTEMBER_UNITS["XH"][1:]], "HP": ["2", *SEPTEMBER_UNITS["HP"][1:]]}
    tree = lxml_html.fromstring(page)
    assert [" ".join(th.text_content().split()) for th in tree.xpath("//table[@data-table='units']/thead//th")] == \
        ["排名", "单位", "响应率", "解决率", "满意率", "综合得分", "有效回访数"]
    assert tree.xpath("//h2/text()") == ["单位", "街乡镇"]
    assert "0.3 × 响应率 + 0.35 × 解决率 + 0.35 × 满意率" in tree.xpath("string(//*[@data-formula])")
    assert tree.xpath("//input[@type='month']/@value") == ["2026-09"]


def test_the_csv_holds_the_numbers_the_page_shows(pages: Pages, september: Flow) -> None:
    supervisor = pages.as_("DCS.supervisor")
    page = supervisor.get(URL).get_data(as_text=True)
    response = supervisor.get(URL + "&format=csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "rates-rates_hotline-2026-09.csv" in response.headers["Content-Disposition"]
    rows = rows_of(response.get_data())
    assert list(rows[0]) == CSV_HEADER
    for kind, label in (("units", "单位"), ("groups", "街乡镇")):
        from_csv = {}
        for row in rows:
            if row["排名表"] != label:
                continue
            cells = [row["排名"]]
            cells += [f"{row[f'{rate}（%）']}% {row[f'{rate}分子']}/{row[f'{rate}分母']}"
                      for rate in ("响应率", "解决率", "满意率")]
            cells += [f"{float(row['综合得分']):.2f}", f"{row['有效回访数']} / {row['回访数']}"]
            from_csv[row["单位代码"]] = cells
        assert from_csv == table(page, kind)
    names = {row["单位代码"]: row["单位"] for row in rows}
    assert names["CGW"] == "区城市管理委员会" and names["HP"] == "和平街道"


def test_the_month_picker_moves_by_local_months(pages: Pages, september: Flow) -> None:
    supervisor = pages.as_("DCS.supervisor")
    october = supervisor.get("/supervise/ranking?process=rates_hotline&month=2026-10").get_data(as_text=True)
    assert table(october, "units") == {"XH": ["1", "0.0% 0/1", "0.0% 0/1", "0.0% 0/1", "0.00", "1 / 1"]}
    august = supervisor.get("/supervise/ranking?process=rates_hotline&month=2026-08").get_data(as_text=True)
    assert table(august, "units") == {"HP": ["1", "0.0% 0/1", "0.0% 0/1", "0.0% 0/1", "0.00", "1 / 1"]}
    tree = lxml_html.fromstring(supervisor.get(URL).get_data(as_text=True))
    assert tree.xpath("//a[@rel='prev']/@href")[0].endswith("month=2026-08")
    assert tree.xpath("//a[@rel='next']/@href")[0].endswith("month=2026-10")
    september.clock.set(datetime(2026, 8, 31, 23, 0, tzinfo=UTC))  # no month asked: this local month (09-01 07:00)
    default = supervisor.get("/supervise/ranking").get_data(as_text=True)
    assert table(default, "units") == SEPTEMBER_UNITS


def test_english_reads_the_policys_english_labels(pages: Pages, september: Flow) -> None:
    page = pages.as_("DCS.supervisor", lang="en").get(URL).get_data(as_text=True)
    tree = lxml_html.fromstring(page)
    heads = [" ".join(th.text_content().split()) for th in tree.xpath("//table[@data-table='groups']/thead//th")]
    assert heads == ["Rank", "Streets and towns", "Response rate", "Resolution rate", "Satisfaction rate",
                     "Composite score", "Answers counted"]
    rows = rows_of(pages.as_("DCS.supervisor", lang="en").get(URL + "&format=csv").get_data())
    assert rows[0]["Response rate (%)"] == "50.0" and rows[0]["Composite score"] == "85.0"


@pytest.mark.parametrize("query,status", [("month=2026-13", 400), ("month=26-09", 400), ("month=2026-9", 400),
                                          ("month=1899-12", 400), ("process=whistle", 404),
                                          ("process=nothing_here", 404)])
def test_a_bad_month_or_a_process_without_rates_is_refused(pages: Pages, september: Flow, query: str,
                                                           status: int) -> None:
    september.deploy_policy()  # the whistle's policy declares no rates
    response = pages.as_("DCS.supervisor").get(f"/supervise/ranking?{query}")
    assert response.status_code == status
    assert "Traceback" not in response.get_data(as_text=True)


def test_without_any_rates_the_page_says_how_to_get_them(pages: Pages, flow: Flow) -> None:
    flow.deploy_policy()
    page = pages.as_("DCS.supervisor").get("/supervise/ranking")
    assert page.status_code == 200 and "rates" in lxml_html.fromstring(page.get_data(as_text=True)).xpath(
        "string(//p[@class='empty'])")


def test_answers_naming_no_unit_are_said_apart(pages: Pages, flow: Flow) -> None:
    deploy_hotline(flow)
    answer_order(flow, None, None, YES, datetime(2026, 9, 20, tzinfo=UTC))
    page = lxml_html.fromstring(pages.as_("DEMO-ZX.supervisor").get(URL).get_data(as_text=True))
    assert page.xpath("string(//*[@data-unattributed])") == "1 条回访未写明承办单位，未计入。"
    assert page.xpath("//table[@data-table='units']") == []
    # A district's reader does not cover the whole city, so what names no unit is not theirs to count.
    district = lxml_html.fromstring(pages.as_("DCS.supervisor").get(URL).get_data(as_text=True))
    assert district.xpath("//*[@data-unattributed]") == []


def test_supervision_only_and_a_head_sees_only_their_own_place(pages: Pages, september: Flow) -> None:
    assert pages.as_("CGW.staff").get(URL).status_code == 403
    street = pages.as_("HP.officer").get(URL).get_data(as_text=True)  # a street oversees its own subtree
    assert table(street, "units") == {"HP": SEPTEMBER_UNITS["HP"]}
    page = pages.as_("CGW.head").get(URL).get_data(as_text=True)
    assert table(page, "units") == {"CGW": SEPTEMBER_UNITS["CGW"]} and table(page, "groups") == {}
    rows = rows_of(pages.as_("CGW.head").get(URL + "&format=csv").get_data())
    assert [row["单位代码"] for row in rows] == ["CGW"]


def test_the_api_gives_the_counts_and_shares(api: Api, september: Flow) -> None:
    body = api.call("DCS.supervisor", "GET", "/rates?process=rates_hotline&month=2026-09").get_json()
    assert (body["month"], body["since"], body["until"]) == \
        ("2026-09", "2026-08-31T16:00:00+00:00", "2026-09-30T16:00:00+00:00")
    assert [r["code"] for r in body["rates"]] == ["response", "solution", "satisfaction"]
    hp = next(u for u in body["units"] if u["code"] == "HP")
    assert (hp["rank"], round(hp["score"], 4), hp["answers"], hp["counted"]) == (3, 0.55, 4, 3)
    assert {code: (r["hits"], r["of"]) for code, r in hp["rates"].items()} == \
        {"response": (2, 3), "solution": (1, 3), "satisfaction": (2, 3)}
    assert [(g["code"], g["rank"]) for g in body["groups"]] == [("XH", 1), ("HP", 2)]
    own = api.call("CGW.head", "GET", "/rates?process=rates_hotline&month=2026-09").get_json()
    assert [u["code"] for u in own["units"]] == ["CGW"] and own["groups"] == []
    missing = api.call("DCS.supervisor", "GET", "/rates?process=nothing_here")
    assert missing.status_code == 404 and missing.headers["Content-Type"] == "application/problem+json"
    assert api.call("DCS.supervisor", "GET", "/rates?month=2026-13").status_code == 400
