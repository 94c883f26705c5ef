"""Where people land: the tab holding work (with counts), back to the board after 核验, the street's own filter,
withdrawing from the street's board with a confirmation."""
from __future__ import annotations

import re

from engine.models import InstanceStatus
from tests.support import WHISTLE_ANSWERS, Flow
from tests.web.conftest import Pages


def active_tab(html: str) -> str:
    """The tab the inbox page shows (its ``tab`` argument)."""
    found = re.search(r'href="/tasks\?tab=(\w+)[^"]*" class="tab active"', html)
    assert found, "no active tab"
    return found.group(1)


def tab_counts(html: str) -> dict[str, str]:
    """The count on each tab that carries one."""
    return dict(re.findall(r'data-tab-count="(\w+)" translate="no">([^<]+)<', html))


def test_a_dispatcher_lands_on_the_department_queue_holding_the_work(pages: Pages, flow: Flow) -> None:
    flow.blow(departments=["CGW"])
    flow.blow(departments=["CGW"])
    dispatcher = pages.as_("CGW.dispatcher")
    landing = dispatcher.get("/")
    assert landing.status_code == 302
    html = dispatcher.get(landing.headers["Location"]).get_data(as_text=True)
    assert active_tab(html) == "department"
    assert tab_counts(html) == {"mine": "0", "department": "2"}
    assert len(re.findall(r'<tr id="task-\d+" class="task-row', html)) == 2
    assert active_tab(dispatcher.get("/tasks?tab=mine").get_data(as_text=True)) == "mine"  # asked for: kept


def test_one_who_holds_a_task_lands_on_their_own_list(pages: Pages, flow: Flow) -> None:
    case = flow.blow(departments=["CGW"])
    flow.claim(flow.task(case, "Task_sign", "CGW").id, as_="CGW.dispatcher")
    html = pages.as_("CGW.dispatcher").get("/tasks").get_data(as_text=True)
    assert active_tab(html) == "mine" and tab_counts(html) == {"mine": "1", "department": "0"}


def test_the_street_returns_to_the_whistle_board_after_verifying(pages: Pages, flow: Flow) -> None:
    case = flow.blow(departments=["CGW", "ZJW"])
    flow.complete(flow.task(case, "Task_sign", "CGW").id, WHISTLE_ANSWERS["Task_sign"], as_="CGW.dispatcher")
    flow.complete(flow.task(case, "Task_report_in", "CGW").id, WHISTLE_ANSWERS["Task_report_in"], as_="CGW.staff")
    flow.complete(flow.task(case, "Task_handle", "CGW").id, WHISTLE_ANSWERS["Task_handle"], as_="CGW.staff")
    verify = flow.open_tasks(case, "Task_verify")[0]
    officer = pages.as_("HP.officer")
    done = officer.post(f"/tasks/{verify.id}/complete", {"satisfied": "true"})
    assert done.status_code == 302 and done.headers["Location"] == f"/whistles/{case}"
    # Department staff still go back to their queue.
    sign = flow.task(case, "Task_sign", "ZJW")
    staff = pages.as_("ZJW.dispatcher").post(f"/tasks/{sign.id}/complete", {"contact": "李科长"})
    assert staff.status_code == 302 and staff.headers["Location"] == "/tasks?tab=department"


def test_street_people_see_no_all_streets_filter(pages: Pages, flow: Flow) -> None:
    flow.blow(departments=["CGW"])
    officer = pages.as_("HP.officer").get("/tasks?tab=department").get_data(as_text=True)
    assert 'name="street"' not in officer and "全部街乡" not in officer
    staff = pages.as_("CGW.dispatcher").get("/tasks?tab=department").get_data(as_text=True)
    assert 'name="street"' in staff and "全部街乡" in staff and 'value="XH"' in staff


def test_the_street_withdraws_from_its_board_after_confirming(pages: Pages, flow: Flow) -> None:
    case = flow.blow(departments=["CGW"])
    officer = pages.as_("HP.officer")
    board = officer.get(f"/whistles/{case}").get_data(as_text=True)
    assert f'action="/cases/{case}/withdraw"' in board and 'name="confirm" value="yes"' in board
    assert f'name="next" value="/whistles/{case}"' in board
    reason = "误吹哨：问题已由社区自行解决"
    unconfirmed = officer.post(f"/cases/{case}/withdraw", {"reason": reason, "next": f"/whistles/{case}"})
    assert unconfirmed.status_code == 422 and "请勾选确认后再撤回。" in unconfirmed.get_data(as_text=True)
    assert reason in unconfirmed.get_data(as_text=True)  # what was typed is kept
    assert flow.instance(case).status == InstanceStatus.RUNNING
    done = officer.post(f"/cases/{case}/withdraw", {"reason": reason, "confirm": "yes", "next": f"/whistles/{case}"})
    assert done.status_code == 302 and done.headers["Location"] == f"/whistles/{case}"
    assert flow.instance(case).status == InstanceStatus.CANCELLED
    after = officer.get(f"/whistles/{case}").get_data(as_text=True)
    assert 'name="confirm"' not in after  # nothing left to withdraw
    elsewhere = officer.post(f"/cases/{case}/withdraw", {"reason": reason, "confirm": "yes", "next": "//evil.example"})
    assert elsewhere.headers["Location"] == f"/cases/{case}"
    assert pages.as_("CGW.dispatcher").get(f"/whistles/{case}").status_code == 403
