"""Withdrawing a case from the case page and through the API: the form, its refusals, the notice."""
from __future__ import annotations

import re

from lxml import html as lxml_html

from engine.models import InstanceStatus
from tests.support import Flow
from tests.web.conftest import Api, Pages

CONFIRM = {"confirm": "yes"}  # the ticked confirmation box
REASON = "误吹哨：问题已由社区自行解决"


def test_the_street_withdraws_from_the_case_page_and_departments_read_why(pages: Pages, flow: Flow) -> None:
    case = flow.blow(departments=["CGW", "ZJW"])
    cgw = pages.as_("CGW.dispatcher")
    assert 'class="task-row' in cgw.get("/tasks?tab=department").get_data(as_text=True)
    officer = pages.as_("HP.officer")
    page = officer.get(f"/cases/{case}").get_data(as_text=True)
    assert "撤销本案件" in page and f'action="/cases/{case}/withdraw"' in page

    done = officer.post(f"/cases/{case}/withdraw", {"reason": REASON, **CONFIRM})
    assert done.status_code == 302 and done.headers["Location"] == f"/cases/{case}"
    after = officer.get(f"/cases/{case}").get_data(as_text=True)
    assert "案件已撤销，已将原因通知相关部门。" in after
    assert "status-cancelled" in after and "撤销本案件" not in after  # no second withdrawal offered
    assert re.search(r"案件已撤销</strong>.*?撤销原因：<span translate=\"no\">" + REASON, after, re.S)
    assert flow.instance(case).status == InstanceStatus.CANCELLED

    notes = pages.as_("ZJW.dispatcher").get("/notifications").get_data(as_text=True)
    assert "已被发起单位撤销" in notes and REASON in notes and f'href="/cases/{case}"' in notes
    queue = cgw.get("/tasks?tab=department").get_data(as_text=True)
    assert 'class="task-row' not in queue  # the withdrawn tasks left the queue


def test_the_whistle_board_shows_who_withdrew_it_and_which_stages_stopped(pages: Pages, flow: Flow) -> None:
    case = flow.blow(departments=["CGW", "ZJW"])
    flow.complete(flow.task(case, "Task_sign", "CGW").id, {}, as_="CGW.dispatcher")
    flow.clock.advance(minutes=20)
    officer = pages.as_("HP.officer")
    officer.post(f"/cases/{case}/withdraw", {"reason": REASON, **CONFIRM})
    tree = lxml_html.fromstring(officer.get(f"/whistles/{case}").get_data(as_text=True))
    states = {row.get("data-department"): [td.get("data-state") for td in row.xpath("./td[@data-stage]")]
              for row in tree.xpath("//tr[@data-department]")}
    # CGW had signed and was on its way (report-in stopped); ZJW had not signed yet.
    assert states == {"CGW": ["done", "stopped", "waiting", "waiting", "waiting"],
                      "ZJW": ["stopped", "waiting", "waiting", "waiting", "waiting"]}
    note = " ".join(tree.xpath("//section[contains(@class, 'withdrawn-note')]")[0].text_content().split())
    assert note == f"已于 2026-09-28 09:20 撤销 · 和平街道值班员 撤销原因：{REASON}"
    listing = " ".join(lxml_html.fromstring(officer.get("/whistles").get_data(as_text=True)).text_content().split())
    assert "已撤销" in listing


def test_a_missing_reason_keeps_the_page_and_changes_nothing(pages: Pages, flow: Flow) -> None:
    case = flow.blow(departments=["CGW"])
    officer = pages.as_("HP.officer")
    refused = officer.post(f"/cases/{case}/withdraw", {"reason": "撤", **CONFIRM})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "<details open>" in html and 'class="field-error"' in html and ">撤</textarea>" in html
    assert flow.instance(case).status == InstanceStatus.RUNNING


def test_departments_see_no_withdraw_form_and_are_refused(pages: Pages, flow: Flow) -> None:
    case = flow.blow(departments=["CGW"])
    dispatcher = pages.as_("CGW.dispatcher")
    assert "撤销本案件" not in dispatcher.get(f"/cases/{case}").get_data(as_text=True)
    refused = dispatcher.post(f"/cases/{case}/withdraw", {"reason": REASON, **CONFIRM})
    assert refused.status_code == 302
    shown = dispatcher.get(f"/cases/{case}").get_data(as_text=True)
    assert f"只有发起案件 {case} 的单位或系统管理员可以撤销。" in shown
    assert pages.as_("XH.officer").post(f"/cases/{case}/withdraw", {"reason": REASON, **CONFIRM}).status_code == 404
    assert flow.instance(case).status == InstanceStatus.RUNNING


def test_the_api_withdraws_with_problem_details_for_every_refusal(api: Api, flow: Flow) -> None:
    case = flow.blow(departments=["CGW"])
    invalid = api.call("HP.officer", "POST", f"/instances/{case}/cancel", {"reason": ""})
    assert invalid.status_code == 422 and invalid.mimetype == "application/problem+json"
    assert [e["field"] for e in invalid.json["errors"]] == ["reason"]
    forbidden = api.call("CGW.dispatcher", "POST", f"/instances/{case}/cancel", {"reason": REASON})
    assert forbidden.status_code == 403 and forbidden.mimetype == "application/problem+json"
    assert api.call("XH.officer", "POST", f"/instances/{case}/cancel", {"reason": REASON}).status_code == 404
    assert api.call("HP.officer", "POST", "/instances/999999/cancel", {"reason": REASON}).status_code == 404

    done = api.call("HP.officer", "POST", f"/instances/{case}/cancel", {"reason": REASON})
    assert done.status_code == 200
    assert done.json["status"] == "cancelled" and done.json["open_tasks"] == []
    assert done.json["history"][-2]["action"] == "instance_cancelled"
    again = api.call("HP.leader", "POST", f"/instances/{case}/cancel", {"reason": REASON})
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
