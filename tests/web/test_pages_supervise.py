"""Supervision pages: the overdue board, its charts, CSV exports, 督办/催办, the department scoreboard."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import pytest

from escalation.config import Escalation
from tests.support import SHANGHAI, Flow
from tests.web.conftest import Pages


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A 2026 Beijing instant."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def board_rows(html: str) -> list[tuple[int, str]]:
    """(task id, clock) of every row of the overdue board, top to bottom."""
    return [(int(t), c) for t, c in re.findall(r'<tr class="overdue-row[^"]*" data-task="(\d+)" data-clock="(\w+)"',
                                               html)]


@pytest.fixture
def late(flow: Flow, esc: Escalation) -> dict[str, int]:
    """Two whistles at 09:00 (CGW, ZJW) and 10:00 (CGW, on 暴露垃圾); at 13:00 every signing task is late."""
    flow.deploy_policy()
    first = flow.blow(departments=["CGW", "ZJW"])
    flow.clock.set(at(9, 28, 10, 0))
    second = flow.blow(departments=["CGW"], category="HJWS")
    flow.clock.set(at(9, 28, 13, 0))
    flow.sweep(esc)
    return {"first": first, "second": second,
            "first_cgw": flow.task(first, "Task_sign", "CGW").id, "first_zjw": flow.task(first, "Task_sign", "ZJW").id,
            "second_cgw": flow.task(second, "Task_sign", "CGW").id}


def test_the_board_lists_late_tasks_most_late_first_with_level_lateness_and_links(
        pages: Pages, late: dict[str, int]) -> None:
    response = pages.as_("DCS.supervisor").get("/supervise")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    rows = board_rows(html)
    # A row per task: a 签收 task late on both of its clocks (one deadline) is listed once.
    assert rows == [(late["first_cgw"], "report_in"), (late["first_zjw"], "report_in"),
                    (late["second_cgw"], "report_in")]
    assert html.count('class="overdue-row level-3"') == 3
    assert "3级 · 超期督办" in html and "签收时限" in html
    assert "2小时0分" in html and "1小时0分" in html  # late since 11:00 and 12:00
    assert f'href="/cases/{late["first"]}"' in html and 'href="/supervise/departments/ZJW"' in html
    assert "未签收" in html and 'translate="no">区住房和城乡建设委员会<' in html
    assert 'title="HP">和平街道<' in html and 'title="WFJS">违法建设<' in html and 'title="HJWS">暴露垃圾<' in html
    assert html.count('name="kind" value="duban"') == 3 and html.count('name="kind" value="cuiban"') == 3
    assert 'name="csrf_token"' in html and "vendor/echarts-6.1.0/echarts.min.js" in html
    assert 'data-chart="trend"' in html and "<h1>超期督办</h1>" in html


@pytest.mark.parametrize("query,expected", [
    ("department=ZJW", {"first_zjw"}),
    ("street=HP", {"first_cgw", "first_zjw", "second_cgw"}),
    ("street=XH", set()),
    ("category=HJWS", {"second_cgw"}),
    ("level=3", {"first_cgw", "first_zjw", "second_cgw"}),
    ("level=4", set()),
    ("level=banana&department=", {"first_cgw", "first_zjw", "second_cgw"}),
])
def test_board_filters(pages: Pages, late: dict[str, int], query: str, expected: set[str]) -> None:
    html = pages.as_("DCS.supervisor").get(f"/supervise?{query}").get_data(as_text=True)
    shown = {t for t, _ in board_rows(html)}
    names = {name for name, task_id in late.items() if "_" in name and task_id in shown}
    assert names == expected
    if not expected:
        assert "没有符合筛选条件的超期任务。" in html


def test_a_department_head_sees_only_their_own_department(pages: Pages, late: dict[str, int]) -> None:
    head = pages.as_("CGW.head")
    html = head.get("/supervise").get_data(as_text=True)
    assert {t for t, _ in board_rows(html)} == {late["first_cgw"], late["second_cgw"]}
    assert 'value="ZJW"' not in html and 'value="CGW"' in html
    assert 'name="kind"' not in html  # heads are pressed, they do not press
    assert board_rows(head.get("/supervise?department=ZJW").get_data(as_text=True)) == []
    assert [i["code"] for i in head.get("/supervise/charts/departments.json").get_json()["items"]] == ["CGW"]
    assert head.get("/supervise/departments/ZJW").status_code == 404
    assert head.get("/supervise/departments/CGW").status_code == 200
    scores = head.get("/supervise/departments").get_data(as_text=True)
    assert re.findall(r'data-department="(\w+)"', scores) == ["CGW"]
    assert head.post(f"/supervise/tasks/{late['first_cgw']}/urge", {"kind": "duban"}).status_code == 403


def test_other_roles_may_not_open_supervision(pages: Pages, late: dict[str, int]) -> None:
    staff = pages.as_("CGW.staff")
    assert staff.get("/supervise").status_code == 403
    assert staff.get("/supervise/charts/levels.json").status_code == 403
    assert 'href="/supervise"' not in staff.get("/notifications").get_data(as_text=True)
    assert 'href="/supervise"' in pages.as_("QLD.leader").get("/notifications").get_data(as_text=True)
    signed_out = pages.app.test_client().get("/supervise/charts/trend.json")
    assert signed_out.status_code == 302 and "/login" in signed_out.headers["Location"]


def test_urging_from_the_board_notifies_the_head_and_the_signers(pages: Pages, late: dict[str, int]) -> None:
    supervisor = pages.as_("DCS.supervisor")
    response = supervisor.post(f"/supervise/tasks/{late['first_cgw']}/urge",
                               {"kind": "duban", "note": "今天必须签收", "next": "/supervise?department=CGW"})
    assert response.status_code == 302 and response.headers["Location"] == "/supervise?department=CGW"
    board = supervisor.get("/supervise?department=CGW").get_data(as_text=True)
    assert "督办通知已发送给 2 人。" in board and "已督催 1 次" in board
    notes = pages.as_("CGW.head").get("/notifications").get_data(as_text=True)
    assert "督办通知（区委区政府督查室督办员）：请区城市管理委员会立即办理案件" in notes
    assert "附言：今天必须签收" in notes
    assert "请区城市管理委员会立即办理" in pages.as_("CGW.dispatcher").get("/notifications").get_data(as_text=True)
    urged = supervisor.post(f"/supervise/tasks/{late['first_zjw']}/urge", {"kind": "cuiban", "next": "//evil.example"})
    assert urged.headers["Location"] == "/supervise"
    assert "催办通知（" in pages.as_("ZJW.head").get("/notifications").get_data(as_text=True)
    case = supervisor.get(f"/cases/{late['first']}").get_data(as_text=True)
    assert "督办催办" in case  # the timeline names the action


def test_urging_refusals_come_back_as_messages(pages: Pages, flow: Flow, late: dict[str, int]) -> None:
    supervisor = pages.as_("DCS.supervisor")
    bad = supervisor.post(f"/supervise/tasks/{late['first_cgw']}/urge", {"kind": "shout", "next": "/supervise"})
    assert bad.status_code == 302
    assert "请选择督办或催办。" in supervisor.get("/supervise").get_data(as_text=True)
    flow.complete(late["second_cgw"], {}, as_="CGW.dispatcher")
    supervisor.post(f"/supervise/tasks/{late['second_cgw']}/urge", {"kind": "cuiban"})
    assert f"任务 {late['second_cgw']} 已结束，无需催办。" in supervisor.get("/supervise").get_data(as_text=True)
    assert supervisor.post("/supervise/tasks/999999/urge", {"kind": "duban"}).status_code == 404
    no_token = supervisor.client.post(f"/supervise/tasks/{late['first_cgw']}/urge", data={"kind": "duban"})
    assert no_token.status_code == 400


def read_csv(response: object) -> list[list[str]]:
    """The rows of a CSV download, after checking it is one Excel reads as UTF-8."""
    body = response.get_data()  # type: ignore[attr-defined]
    assert body.startswith(b"\xef\xbb\xbf")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # type: ignore[attr-defined]
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")  # type: ignore[attr-defined]
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_board_exports_csv_with_chinese_headers(pages: Pages, late: dict[str, int]) -> None:
    supervisor = pages.as_("DCS.supervisor")
    rows = read_csv(supervisor.get("/supervise?format=csv"))
    assert rows[0] == ["案件编号", "案件", "任务", "单位代码", "单位", "街道", "问题类别", "计时", "期限",
                       "超时（小时）", "超时", "督办等级", "办理人", "缺节假日数据年份"]
    assert len(rows) == 4  # the header and the three late tasks, each once
    first = rows[1]
    assert first[0] == str(late["first"]) and first[2] == "签收" and first[3] == "CGW"
    assert first[5:10] == ["和平街道", "违法建设", "签收时限", "2026-09-28 11:00", "2.0"]
    assert first[10:13] == ["2小时0分", "3级 · 超期督办", ""]
    only = read_csv(supervisor.get("/supervise?format=csv&department=ZJW"))
    assert [r[3] for r in only[1:]] == ["ZJW"]
    assert read_csv(supervisor.get("/supervise?format=csv&offset=50"))[1:] == rows[1:]  # exports ignore paging


def test_chart_data_follows_the_board(pages: Pages, late: dict[str, int]) -> None:
    supervisor = pages.as_("DCS.supervisor")
    departments = supervisor.get("/supervise/charts/departments.json").get_json()
    assert departments["title"] == "各单位超期任务" and departments["series"] == "超期任务"
    assert departments["items"] == [
        {"code": "CGW", "name": "区城市管理委员会", "short_name": "城管委", "value": 2},
        {"code": "ZJW", "name": "区住房和城乡建设委员会", "short_name": "住建委", "value": 1}]
    levels = supervisor.get("/supervise/charts/levels.json").get_json()
    assert levels["items"] == [{"level": 3, "label": "3级 · 超期督办", "colour": "red", "value": 3}]
    trend = supervisor.get("/supervise/charts/trend.json").get_json()
    assert len(trend["items"]) == 12 and trend["items"][-1] == {"week": "2026-W40", "starts": "2026-09-28", "value": 3}
    assert {i["value"] for i in trend["items"][:-1]} == {0}
    filtered = supervisor.get("/supervise/charts/levels.json?category=HJWS").get_json()["items"]
    assert filtered == [{"level": 3, "label": "3级 · 超期督办", "colour": "red", "value": 1}]
    english = pages.as_("DCS.supervisor", lang="en").get("/supervise/charts/levels.json").get_json()
    assert english["title"] == "Overdue tasks by ladder level"
    assert english["items"][0]["label"] == "Level 3 · Overdue (督办)"


def test_the_scoreboard_shows_rates_times_counts_and_ratings(pages: Pages, flow: Flow, esc: Escalation) -> None:
    flow.deploy_policy()
    case = flow.blow(departments=["CGW", "ZJW"])
    flow.clock.set(at(9, 28, 9, 30))
    # Signed after 30 minutes, on site within the limit; the handling task is taken at once (0 minutes).
    flow.run_department(case, "CGW")
    rate = [t for t in flow.open_tasks(case, "Task_rate") if t.context.get("department") == "CGW"][0]
    flow.complete(rate.id, {"speed": 4, "cooperation": 5, "fulfilment": 3}, as_="HP.leader")
    flow.clock.set(at(9, 28, 12, 0))
    flow.sweep(esc)
    supervisor = pages.as_("DCS.supervisor")
    html = supervisor.get("/supervise/departments").get_data(as_text=True)
    assert re.findall(r'data-department="(\w+)"', html)[0] == "ZJW"  # the overdue department leads
    cgw = html.split('data-department="CGW"')[1].split("</tr>")[0]
    cells = dict(re.findall(r'data-col="(\w+)"[^>]*>(.*?)</td>', cgw, re.S))
    assert cells["report_in_rate"].strip() == "100.0%" and cells["median_sign"].strip() == "15分钟"
    assert (cells["open"], cells["overdue"]) == ("0", "0")
    marks = (cells["speed"], cells["cooperation"], cells["fulfilment"], cells["ratings"])
    assert marks == ("4.00", "5.00", "3.00", "1")
    zjw = html.split('data-department="ZJW"')[1].split("</tr>")[0]
    assert re.search(r'data-col="overdue"[^>]*><span class="badge level-3">1</span>', zjw)
    rows = read_csv(supervisor.get("/supervise/departments?format=csv"))
    assert rows[0][:5] == ["单位代码", "单位", "报到率（%）", "按期办结率（%）", "签收用时中位数（分钟）"]
    assert rows[0][8:] == ["评价数", "响应速度", "配合力度", "落实程度"]
    line = next(r for r in rows if r[0] == "CGW")
    assert line[2] == "100.0" and line[4] == "15.0" and line[8:] == ["1", "4.0", "5.0", "3.0"]
    assert len(rows) == 14  # header and the thirteen district departments


def test_a_department_page_lists_overdue_tasks_first(pages: Pages, flow: Flow, late: dict[str, int]) -> None:
    flow.clock.set(at(9, 28, 13, 30))
    fresh = flow.blow(departments=["CGW"], whistle_type="difficult")
    html = pages.as_("DCS.supervisor").get("/supervise/departments/CGW").get_data(as_text=True)
    order = [int(t) for t in re.findall(r'<tr data-task="(\d+)"', html)]
    assert order == [late["first_cgw"], late["second_cgw"], flow.task(fresh, "Task_sign", "CGW").id]
    assert "2小时30分" in html and f'href="/cases/{fresh}"' in html and "报到率" in html
    assert pages.as_("DCS.supervisor").get("/supervise/departments/NOPE").status_code == 404


def test_the_board_warns_about_years_without_holiday_data(pages: Pages, flow: Flow) -> None:
    flow.deploy_policy()
    flow.clock.set(at(12, 28, 9, 0))
    supervisor = pages.as_("DCS.supervisor")
    assert "calendar-warning" not in supervisor.get("/supervise").get_data(as_text=True)
    flow.blow(departments=["CGW"], whistle_type="difficult")
    html = supervisor.get("/supervise").get_data(as_text=True)
    assert 'data-year="2027"' in html and "缺少 2027 年节假日数据：1 个在办任务的期限" in html
    assert "目前没有超期任务。" in html


def test_the_board_in_english(pages: Pages, late: dict[str, int]) -> None:
    supervisor = pages.as_("DCS.supervisor", lang="en")
    html = supervisor.get("/supervise").get_data(as_text=True)
    assert "<h1>Overdue board</h1>" in html and "Level 3 · Overdue (督办)" in html and "2 h 0 min" in html
    assert "Level 4 and above: Urging notice (催办)" in html and "Sign-in clock" in html
    assert "Speed of response" in supervisor.get("/supervise/departments").get_data(as_text=True)
    assert "Report-in rate" in supervisor.get("/supervise/departments/CGW").get_data(as_text=True)
    assert read_csv(supervisor.get("/supervise?format=csv"))[0][:2] == ["Case number", "Case"]
