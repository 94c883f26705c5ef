"""The scoreboard's rates count open overdue tasks as late, its median reads to the second, and it has a period;
the street's board says whose each file is and shows the marks given."""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import pytest
from lxml import html as lxml_html

from tests.support import SHANGHAI, WHISTLE_ANSWERS, Flow
from tests.web.conftest import Pages
from tests.web.test_pages_inbox import png


def cells_of(html: str, code: str) -> dict[str, str]:
    """The scoreboard cells of department ``code``, by column, tags and spaces stripped."""
    row = html.split(f'data-department="{code}"')[1].split("</tr>")[0]
    return {col: re.sub(r"<[^>]+>", "", text).strip() for col, text in re.findall(r'data-col="(\w+)"[^>]*>(.*?)</td>',
                                                                                   row, re.S)}


@pytest.fixture
def september(flow: Flow) -> dict[str, int]:
    """CGW: one whistle done on time (signed 09:30) and three never signed; ZJW signed its one whistle in 68 s.

    At 2026-10-01 12:00 the three CGW signing tasks are three days past their 11:00 deadline.
    """
    flow.deploy_policy()
    done = flow.blow(departments=["CGW"])
    late = [flow.blow(departments=["CGW"]) for _ in range(3)]
    zjw = flow.blow(departments=["ZJW"])
    flow.clock.set(datetime(2026, 9, 28, 9, 1, 8, tzinfo=SHANGHAI))
    flow.complete(flow.task(zjw, "Task_sign", "ZJW").id, WHISTLE_ANSWERS["Task_sign"], as_="ZJW.dispatcher")
    flow.clock.set(datetime(2026, 9, 28, 9, 30, tzinfo=SHANGHAI))
    flow.run_department(done, "CGW")
    flow.rate(done, "CGW")
    flow.clock.set(datetime(2026, 10, 1, 12, 0, tzinfo=SHANGHAI))
    return {"done": done, "zjw": zjw, **{f"late{i}": case for i, case in enumerate(late)}}


def test_open_overdue_tasks_count_against_both_rates(pages: Pages, september: dict[str, int]) -> None:
    html = pages.as_("DCS.supervisor").get("/supervise/departments").get_data(as_text=True)
    cgw = cells_of(html, "CGW")
    assert cgw["overdue"] == "3"
    # 报到 steps: the done whistle's 签收 and 到场 on time, three 签收 overdue: 2 of 5.
    assert cgw["report_in_rate"] == "40.0%"
    # Tasks with a limit: the done whistle's 签收, 到场, 处置 on time, three 签收 overdue: 3 of 6.
    assert cgw["on_time_rate"] == "50.0%"
    page = pages.as_("DCS.supervisor").get("/supervise/departments/CGW").get_data(as_text=True)
    assert "40.0%" in page and "50.0%" in page


def test_the_median_time_to_sign_reads_to_the_second(pages: Pages, september: dict[str, int]) -> None:
    supervisor = pages.as_("DCS.supervisor")
    assert cells_of(supervisor.get("/supervise/departments").get_data(as_text=True), "ZJW")["median_sign"] == "1分8秒"
    english = pages.as_("DCS.supervisor", lang="en").get("/supervise/departments").get_data(as_text=True)
    assert cells_of(english, "ZJW")["median_sign"] == "1 min 8 s"


def test_the_period_selects_tasks_by_when_they_arrived(pages: Pages, september: dict[str, int]) -> None:
    supervisor = pages.as_("DCS.supervisor")
    this_month = cells_of(supervisor.get("/supervise/departments?period=this_month").get_data(as_text=True), "CGW")
    assert (this_month["report_in_rate"], this_month["on_time_rate"], this_month["ratings"]) == ("—", "—", "0")
    assert this_month["overdue"] == "3"  # open work is today's, whatever the period
    last_month = cells_of(supervisor.get("/supervise/departments?period=last_month").get_data(as_text=True), "CGW")
    assert (last_month["report_in_rate"], last_month["ratings"]) == ("40.0%", "1")
    ranged = supervisor.get("/supervise/departments?period=range&from=2026-09-28&to=2026-09-28")
    assert cells_of(ranged.get_data(as_text=True), "CGW")["on_time_rate"] == "50.0%"
    before = supervisor.get("/supervise/departments?period=range&to=2026-09-27").get_data(as_text=True)
    assert cells_of(before, "CGW")["on_time_rate"] == "—"
    assert 'value="range" selected' in ranged.get_data(as_text=True)
    assert "format=csv&amp;period=range&amp;from=2026-09-28&amp;to=2026-09-28" in ranged.get_data(as_text=True)


@pytest.mark.parametrize("query", ["period=week", "period=range&from=2026-13-01", "period=range&from=28.09.2026",
                                   "period=range&from=2026-10-02&to=2026-10-01"])
def test_a_bad_period_is_refused_by_name(pages: Pages, september: dict[str, int], query: str) -> None:
    response = pages.as_("DCS.supervisor").get(f"/supervise/departments?{query}")
    assert response.status_code == 400


def test_the_scoreboard_explains_the_marks(pages: Pages, september: dict[str, int]) -> None:
    html = pages.as_("DCS.supervisor").get("/supervise/departments").get_data(as_text=True)
    legend = html.split("data-legend")[1].split("</dl>")[0]
    assert "5 = 非常满意" in legend and "1 = 非常不满意" in legend


def test_a_range_includes_its_last_day() -> None:
    from web.supervise.periods import Period

    period = Period("range", None, datetime(2026, 9, 28).date())
    assert period.until == datetime(2026, 9, 29, tzinfo=SHANGHAI) and period.since is None
    assert period.until - timedelta(days=1) == datetime(2026, 9, 28, tzinfo=SHANGHAI)


def test_the_board_says_whose_each_file_is_and_shows_the_marks_given(pages: Pages, flow: Flow) -> None:
    flow.deploy_policy()
    flow.deploy()
    officer = pages.as_("HP.officer")
    blown = officer.post("/whistles/new", data={
        "whistle_type": "enforcement", "category": "WFJS", "community": "和平里社区",
        "address": "和平里七区 5 号楼楼顶",
        "description": "居民反映 5 号楼楼顶有人正在搭建违章建筑。", "departments": ["CGW"],
        "attachments": (io.BytesIO(png()), "楼顶.png")})
    case = int(blown.headers["Location"].rstrip("/").split("/")[-1])
    flow.complete(flow.task(case, "Task_sign", "CGW").id, WHISTLE_ANSWERS["Task_sign"], as_="CGW.dispatcher")
    flow.complete(flow.task(case, "Task_report_in", "CGW").id, WHISTLE_ANSWERS["Task_report_in"], as_="CGW.staff")
    handle = flow.task(case, "Task_handle", "CGW")
    done = pages.as_("CGW.staff").post(f"/tasks/{handle.id}/complete", {
        "result": "已责令停工并拆除违建部分", "evidence": (io.BytesIO(png() + b"2"), "拆除后.png")})
    assert done.status_code == 302
    board = lxml_html.fromstring(officer.get(f"/whistles/{case}").get_data(as_text=True))
    labels = {li.xpath(".//a/span")[0].text_content(): li.xpath(".//*[@data-uploader]")[0].text_content()
              for li in board.xpath("//ul[@class='attachment-list']/li")}
    assert labels == {"楼顶.png": "来自和平街道", "拆除后.png": "来自区城市管理委员会"}
    assert not board.xpath("//*[@data-marks]")  # nothing rated yet
    verify = flow.open_tasks(case, "Task_verify")[0]
    flow.complete(verify.id, {"satisfied": True}, as_="HP.officer")
    flow.rate(case, "CGW")  # 5, 4, 5
    board = lxml_html.fromstring(officer.get(f"/whistles/{case}").get_data(as_text=True))
    marks = board.xpath("//*[@data-marks='CGW']")[0].text_content()
    assert marks == "评分（满分5分）：响应速度 5 · 配合力度 4 · 落实程度 5"
