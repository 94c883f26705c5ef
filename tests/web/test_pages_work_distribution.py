"""Pages: 指派/转交 on the task page, 退单 and 改派 through the forms, 追加召集部门 on the whistle board."""
from __future__ import annotations

import re

from lxml import html as lxml_html

from tests.support import WHISTLE_ANSWERS, Flow
from tests.web.conftest import Pages


def _options(page: str, name: str) -> list[str]:
    return lxml_html.fromstring(page).xpath(f'//select[@name="{name}"]/option/@value')


def test_dispatcher_assigns_on_the_task_page_and_the_staff_member_passes_it_on(pages: Pages, flow: Flow,
                                                                                make_user: object) -> None:
    make_user("CGW.staff2", "城管委第二处置人员", [("CGW", "dept_staff")])  # type: ignore[operator]
    case = flow.blow(departments=["CGW"])
    flow.complete(flow.task(case, "Task_sign", "CGW").id, WHISTLE_ANSWERS["Task_sign"], as_="CGW.dispatcher")
    task = flow.task(case, "Task_report_in", "CGW").id
    staff = pages.as_("CGW.staff")
    assert 'data-handover' not in staff.get(f"/tasks/{task}").get_data(as_text=True)  # staff do not hand out work

    dispatcher = pages.as_("CGW.dispatcher")
    page = dispatcher.get(f"/tasks/{task}").get_data(as_text=True)
    assert 'data-handover="assign"' in page and "指派给同事" in page
    assert set(_options(page, "user")) == {"CGW.staff", "CGW.staff2", "CGW.head"}
    done = dispatcher.post(f"/tasks/{task}/assign", {"user": "CGW.staff", "note": "请今天到场"})
    assert done.status_code == 302 and done.headers["Location"] == f"/tasks/{task}"
    assert "任务已交出，已通知该同事。" in dispatcher.get(f"/tasks/{task}").get_data(as_text=True)
    timeline = dispatcher.get(f"/cases/{case}").get_data(as_text=True)
    assert re.search(r"<strong>指派给同事</strong>.*?- → CGW\.staff</span> · <span translate=\"no\">请今天到场",
                     timeline, re.S)

    notes = staff.get("/notifications").get_data(as_text=True)
    assert "交给你办理" in notes and "请今天到场" in notes and f'href="/tasks/{task}"' in notes
    mine = staff.get(f"/tasks/{task}").get_data(as_text=True)
    assert 'data-handover="delegate"' in mine and "转交给同事" in mine
    assert "CGW.staff" not in _options(mine, "user")  # not to oneself
    staff.post(f"/tasks/{task}/delegate", {"user": "CGW.staff2"})
    assert flow.task(case, "Task_report_in", "CGW").assignee_id != flow.actor("CGW.staff").user_id

    refused = staff.post(f"/tasks/{task}/delegate", {"user": "CGW.staff"})
    assert refused.status_code == 302
    after = staff.get(f"/tasks/{task}").get_data(as_text=True)
    assert "只有任务的办理人，或本部门的接哨员、负责人，可以转交这项任务。" in after
    wrong = dispatcher.post(f"/tasks/{task}/assign", {"user": "CGW.dispatcher"})
    assert wrong.status_code == 302
    assert "不能办理这项任务" in dispatcher.get(f"/tasks/{task}").get_data(as_text=True)


def test_department_refuses_on_the_sign_page_and_the_street_resummons_from_the_board(pages: Pages,
                                                                                     flow: Flow) -> None:
    case = flow.blow(departments=["CGW"])
    sign = flow.task(case, "Task_sign", "CGW").id
    dispatcher = pages.as_("CGW.dispatcher")
    page = dispatcher.get(f"/tasks/{sign}").get_data(as_text=True)
    assert re.search(r'name="decision" value="sign"[^>]*>签收<', page)
    assert re.search(r'name="decision" value="refuse"[^>]*>退单（非本部门职责）<', page)
    assert 'name="refuse_reason"' in page
    missing = dispatcher.post(f"/tasks/{sign}/complete", {"decision": "refuse"})
    assert missing.status_code == 422 and "退单理由" in missing.get_data(as_text=True)
    done = dispatcher.post(f"/tasks/{sign}/complete",
                           {"decision": "refuse", "refuse_reason": "违法建设由规自分局查处，不属城管委职责"})
    assert done.status_code == 302

    officer = pages.as_("HP.officer")
    board = officer.get(f"/whistles/{case}").get_data(as_text=True)
    assert 'data-refused="CGW"' in board and "已退单" in board and "违法建设由规自分局查处" in board
    assert "等待街道改派" in board
    reassign = flow.open_tasks(case, "Task_reassign")[0].id
    assert f'href="/tasks/{reassign}"' in board and ">改派<" in board
    form = officer.get(f"/tasks/{reassign}").get_data(as_text=True)
    choices = _options(form, "department")
    assert "GHZY" in choices and "HP" not in choices and "JSJB" not in choices  # district departments only
    resummoned = officer.post(f"/tasks/{reassign}/complete", {"resummon": "true", "department": "GHZY"})
    assert resummoned.status_code == 302 and resummoned.headers["Location"] == f"/whistles/{case}"
    board = officer.get(f"/whistles/{case}").get_data(as_text=True)
    assert "已改派给" in board and 'data-department="GHZY"' in board
    assert flow.task(case, "Task_sign", "GHZY")


def test_the_street_adds_a_department_from_the_board(pages: Pages, flow: Flow) -> None:
    case = flow.blow(departments=["CGW"])
    assert 'id="add-department"' not in pages.as_("HP.leader").get(f"/whistles/{case}").get_data(as_text=True)
    officer = pages.as_("HP.officer")
    board = officer.get(f"/whistles/{case}").get_data(as_text=True)
    assert 'id="add-department"' in board and "追加召集部门" in board
    choices = _options(board, "department")
    assert "ZJW" in choices and "CGW" not in choices and "HP" not in choices
    refused = officer.post(f"/whistles/{case}/departments", {"department": "ZJW", "reason": " "})
    assert refused.status_code == 302
    assert "字" in officer.get(f"/whistles/{case}").get_data(as_text=True)  # the reason's length is told
    done = officer.post(f"/whistles/{case}/departments", {"department": "ZJW", "reason": "楼体结构需住建委鉴定"})
    assert done.status_code == 302
    board = officer.get(f"/whistles/{case}").get_data(as_text=True)
    assert "已追加召集" in board and 'data-added="ZJW"' in board and "楼体结构需住建委鉴定" in board
    assert "ZJW" not in _options(board, "department")
    timeline = officer.get(f"/cases/{case}").get_data(as_text=True)
    assert re.search(r"<strong>追加召集部门</strong>.*?ZJW</span> · 理由：<span translate=\"no\">楼体结构需住建委鉴定",
                     timeline, re.S)
    assert flow.task(case, "Task_sign", "ZJW")
    assert pages.as_("HP.leader").post(f"/whistles/{case}/departments",
                                       {"department": "SWJ", "reason": "管线"}).status_code == 403
