"""The 接诉即办 pack's 三率 for a fixed September: page, CSV and API equal the hand-computed values.

The orders (all dispatched, handled and visited in September 2026, Asia/Shanghai):
  CGW  visit 1: valid, responded, solved, 满意       visit 2: valid, responded, not solved, 基本满意
       visit 3: valid, not responded, not solved, 不满意
       visit 4: NOT valid (responded, solved, 满意) — counts in no rate
       → 响应率 2/3 = 66.7%, 解决率 1/3 = 33.3%, 满意率 2/3 = 66.7%
         score 0.3·2/3 + 0.35·1/3 + 0.35·2/3 = 0.2 + 0.11667 + 0.23333 = 0.55 → 55.00
  HP   visit 1: valid, responded, solved, 满意       visit 2: valid, responded, solved, 基本满意
       → 2/2, 2/2, 2/2 → score 1.00 → 100.00
  One more CGW order is visited at 2026-10-01 00:00 local: October's, not September's.
Ranking: HP first, CGW second. The street table pools HP's subtree: HP alone here (its line equals HP's).
"""
from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.support import PROCESSES, Flow
from tests.web.conftest import Api, Pages

RXJB = PROCESSES / "rxjb"
ZONE = ZoneInfo("Asia/Shanghai")
URL = "/supervise/ranking?process=rxjb&month=2026-09"
VISITS = [
    ("CGW", {"valid": True, "responded": True, "solved": True, "satisfaction": "satisfied"}),
    ("CGW", {"valid": True, "responded": True, "solved": False, "satisfaction": "basic"}),
    ("CGW", {"valid": True, "responded": False, "solved": False, "satisfaction": "unsatisfied"}),
    ("CGW", {"valid": False, "note": "电话空号", "responded": True, "solved": True, "satisfaction": "satisfied"}),
    ("HP", {"valid": True, "responded": True, "solved": True, "satisfaction": "satisfied"}),
    ("HP", {"valid": True, "responded": True, "solved": True, "satisfaction": "basic"}),
]


def order(flow: Flow, handler: str, visit: dict[str, object], visited_at: datetime) -> int:
    """One order from the call to the 回访, handled by ``handler``."""
    case = flow.start("rxjb", {"request_kind": "complaint", "urgency": "general", "category": "DLBJ", "street": "HP",
                               "address": "和平里七区5号楼", "description": "楼前道路有渣土未清运",
                               "caller_phone": "13800000000", "disposition": "dispatch"},
                      as_="DEMO12345.operator")
    flow.complete(flow.open_tasks(case, "Task_dispatch")[0].id, {"jurisdiction": "clear", "handler": handler},
                  as_="JSJB.dispatcher")
    flow.complete(flow.open_tasks(case, "Task_sign")[0].id, {"decision": "sign"}, as_=f"{handler}.handler")
    flow.complete(flow.open_tasks(case, "Task_handle")[0].id,
                  {"contacted": True, "outcome": "solved", "result": "已清运渣土并回复市民"}, as_=f"{handler}.handler")
    flow.clock.set(visited_at)
    flow.complete(flow.open_tasks(case, "Task_visit")[0].id, visit, as_="JSJB.visitor")
    return case


@pytest.fixture
def september(flow: Flow) -> Flow:
    """The pack deployed and the month's orders answered (one more in the first minute of October)."""
    flow.deploy(RXJB / "rxjb.bpmn")
    flow.deploy_policy(RXJB / "policies" / "rxjb.yaml")
    flow.clock.set(datetime(2026, 9, 10, 9, 0, tzinfo=ZONE))
    for day, (handler, visit) in enumerate(VISITS, start=10):
        order(flow, handler, visit, datetime(2026, 9, day, 15, 0, tzinfo=ZONE))
    order(flow, "CGW", {"valid": True, "responded": False, "solved": False, "satisfaction": "unsatisfied"},
          datetime(2026, 10, 1, 0, 0, tzinfo=ZONE))
    return flow


def test_the_api_gives_the_hand_computed_rates(api: Api, september: Flow) -> None:
    answer = api.call("DCS.supervisor", "GET", "/rates?process=rxjb&month=2026-09")
    assert answer.status_code == 200, answer.get_json()
    units = {line["code"]: line for line in answer.get_json()["units"]}
    assert list(units) == ["HP", "CGW"]  # ranked by score
    counts = {code: {rate: (r["hits"], r["of"]) for rate, r in line["rates"].items()} for code, line in units.items()}
    assert counts == {"HP": {"response": (2, 2), "solution": (2, 2), "satisfaction": (2, 2)},
                      "CGW": {"response": (2, 3), "solution": (1, 3), "satisfaction": (2, 3)}}
    assert round(units["CGW"]["score"], 4) == 0.55 and round(units["HP"]["score"], 4) == 1.0
    assert (units["CGW"]["answers"], units["CGW"]["counted"]) == (4, 3)  # the invalid visit is an answer, not counted


def test_the_page_and_its_csv_show_the_same_numbers(pages: Pages, september: Flow) -> None:
    supervisor = pages.as_("DCS.supervisor")
    page = supervisor.get(URL).get_data(as_text=True)
    for text in ("66.7%", "2/3", "33.3%", "1/3", "55.00", "100.00"):
        assert text in page, text
    rows = list(csv.DictReader(io.StringIO(supervisor.get(URL + "&format=csv").get_data().decode("utf-8-sig"))))
    cgw = next(r for r in rows if r["单位代码"] == "CGW" and r["排名表"] == "单位")
    numbers = ("排名", "响应率分子", "响应率分母", "解决率分子", "满意率分子", "综合得分")
    assert tuple(cgw[k] for k in numbers) == ("2", "2", "3", "1", "2", "55.0")
    assert any(r["单位代码"] == "HP" and r["排名表"] == "街乡镇" for r in rows)  # the street table pools its subtree


def test_the_neighbour_district_sees_none_of_it(api: Api, september: Flow) -> None:
    answer = api.call("LHQ-DCS.supervisor", "GET", "/rates?process=rxjb&month=2026-09")
    assert answer.status_code == 200 and answer.get_json()["units"] == []
