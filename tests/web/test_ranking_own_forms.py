"""The ranking page, its CSV and GET /api/v1/rates with rates over their own forms.

The scenario and its hand-computed counts are tests/escalation/test_rates_own_forms.py's.

Each rate's counts are over its own denominator: 改派率 over 核定 answers, 回访解决率 over responded 回访
answers, the section's three over valid 回访 answers. ZJW has only a 核定 answer in September: its line shows
改派率 0/1 and no score.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.escalation.test_rates_own_forms import answer_own_scenario
from tests.support import Flow
from tests.web.conftest import Api, Pages
from tests.web.test_ranking import URL, rows_of, table

UNITS = {
    "XH": ["1", "50.0% 1/2", "100.0% 2/2", "100.0% 2/2", "50.0% 1/2", "100.0% 1/1", "85.00", "2 / 2"],
    "CGW": ["2", "100.0% 1/1", "0.0% 0/1", "0.0% 0/1", "0.0% 0/1", "0.0% 0/1", "30.00", "1 / 1"],
    "HP": ["3", "0.0% 0/1", "0.0% 0/1", "0.0% 0/1", "0.0% 0/2", "100.0% 1/1", "0.00", "1 / 2"],
    "ZJW": ["—", "— 0/0", "— 0/0", "— 0/0", "0.0% 0/1", "— 0/0", "—", "0 / 0"],
}


@pytest.fixture
def september(flow: Flow, tmp_path: Path) -> Flow:
    """The own-form scenario, confirmed and answered."""
    return answer_own_scenario(flow, tmp_path)


def test_the_page_and_the_csv_show_each_rate_over_its_own_answers(pages: Pages, september: Flow) -> None:
    supervisor = pages.as_("DCS.supervisor")
    page = supervisor.get(URL).get_data(as_text=True)
    assert table(page, "units") == UNITS
    assert table(page, "groups") == {"XH": UNITS["XH"], "HP": ["2", *UNITS["HP"][1:]]}
    rows = {row["单位代码"]: row for row in rows_of(supervisor.get(URL + "&format=csv").get_data())
            if row["排名表"] == "单位"}
    assert [(rows[code]["改派率分子"], rows[code]["改派率分母"]) for code in UNITS] == \
        [("1", "2"), ("0", "1"), ("0", "2"), ("0", "1")]
    assert (rows["ZJW"]["响应率分母"], rows["ZJW"]["回访解决率分母"], rows["ZJW"]["有效回访数"]) == ("0", "0", "0")


def test_the_api_gives_each_rate_its_own_denominator(api: Api, september: Flow) -> None:
    body = api.call("DCS.supervisor", "GET", "/rates?process=rates_hotline&month=2026-09").get_json()
    lines = {line["code"]: line for line in body["units"]}
    assert {code: (r["hits"], r["of"], r["rate"]) for code, r in lines["HP"]["rates"].items()} == {
        "response": (0, 1, 0.0), "solution": (0, 1, 0.0), "satisfaction": (0, 1, 0.0),
        "moved": (0, 2, 0.0), "solved_reached": (1, 1, 1.0)}
    zjw = lines["ZJW"]
    assert (zjw["rank"], zjw["score"], zjw["answers"], zjw["counted"]) == (None, None, 0, 0)
    assert (zjw["rates"]["moved"], zjw["rates"]["response"]) == \
        ({"hits": 0, "of": 1, "rate": 0.0}, {"hits": 0, "of": 0, "rate": None})
