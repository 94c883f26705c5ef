"""Who is told what as a whistle moves: the street on a report to check and on closing, the department on rework."""
from __future__ import annotations

from lxml import html as lxml_html

from escalation import urging
from escalation.config import Escalation
from tests.support import WHISTLE_ANSWERS, Flow
from tests.web.conftest import Pages

REASON = "现场仍有违建，请继续拆除"


def notes(pages: Pages, username: str) -> list[str]:
    """The texts on ``username``'s notifications panel, newest first."""
    html = pages.as_(username).get("/notifications").get_data(as_text=True)
    return [" ".join(n.text_content().split()) for n in lxml_html.fromstring(html).xpath("//*[@class='note-text']")]


def report(flow: Flow, case: int, department: str) -> None:
    """One department signs, reports in and reports back; the check then waits for the street."""
    for element, who in (("Task_sign", "dispatcher"), ("Task_report_in", "staff"), ("Task_handle", "staff")):
        flow.complete(flow.task(case, element, department).id, WHISTLE_ANSWERS[element], as_=f"{department}.{who}")


def test_the_street_is_told_when_a_report_awaits_its_check_and_when_the_case_closes(pages: Pages,
                                                                                      flow: Flow) -> None:
    case = flow.blow(departments=["CGW"])
    title = flow.instance(case).title
    assert notes(pages, "HP.officer") == []  # blowing it tells nobody in the street
    report(flow, case, "CGW")
    waiting = f"区城市管理委员会已就案件“{title}”反馈处置结果，等待您核验。"
    assert notes(pages, "HP.officer") == [waiting]
    assert waiting not in notes(pages, "CGW.staff")

    flow.complete(flow.open_tasks(case, "Task_verify")[0].id, {"satisfied": True}, as_="HP.officer")
    flow.rate(case, "CGW")
    closed = f"案件“{title}”已结案，各环节均已办结。"
    assert notes(pages, "HP.officer") == [closed, waiting]
    assert closed in notes(pages, "HP.leader") and closed not in notes(pages, "CGW.staff")


def test_a_rework_tells_the_department_why_and_its_task_page_shows_the_banner(pages: Pages, flow: Flow) -> None:
    case = flow.blow(departments=["CGW", "ZJW"])
    title = flow.instance(case).title
    flow.run_department(case, "CGW", satisfied=False)
    sent_back = f"案件“{title}”被和平街道退回重办，请重新处置反馈。退回原因：{REASON}"
    assert notes(pages, "CGW.staff") == [sent_back]
    assert sent_back not in notes(pages, "ZJW.staff") and sent_back not in notes(pages, "HP.officer")

    again = flow.task(case, "Task_handle", "CGW")
    assert f'href="/tasks/{again.id}"' in pages.as_("CGW.staff").get("/notifications").get_data(as_text=True)
    page = lxml_html.fromstring(pages.as_("CGW.staff").get(f"/tasks/{again.id}").get_data(as_text=True))
    banner = page.xpath("//section[@data-rework]")
    assert len(banner) == 1
    assert " ".join(banner[0].text_content().split()) == \
        f"重办 和平街道 于 2026-09-28 09:00 退回重办。 退回原因：{REASON}"
    # The banner sits above the task's own content, where it is read first.
    assert page.xpath("//section[@data-rework]/following::div[contains(@class, 'task-layout')]")

    # The report that comes back is no rework of the check: the street is told it waits again.
    flow.complete(again.id, WHISTLE_ANSWERS["Task_handle"], as_="CGW.staff")
    officer = notes(pages, "HP.officer")
    assert officer[0] == f"区城市管理委员会已就案件“{title}”反馈处置结果，等待您核验。" and len(officer) == 2
    assert not any("重办" in text for text in officer)
    verify = flow.open_tasks(case, "Task_verify")[0]
    assert 'data-rework' not in pages.as_("HP.officer").get(f"/tasks/{verify.id}").get_data(as_text=True)
    first = flow.task(case, "Task_sign", "ZJW")
    assert 'data-rework' not in pages.as_("ZJW.dispatcher").get(f"/tasks/{first.id}").get_data(as_text=True)


def test_the_task_page_lists_who_urged_when_and_with_which_note(pages: Pages, flow: Flow, esc: Escalation) -> None:
    case = flow.blow(departments=["CGW"])
    sign = flow.task(case, "Task_sign", "CGW")
    before = pages.as_("CGW.dispatcher").get(f"/tasks/{sign.id}")
    assert before.status_code == 200 and 'id="urgings"' not in before.get_data(as_text=True)
    with flow.db.transaction() as session:
        urging.urge(session, esc, flow.actor("DCS.supervisor"), sign.id, "duban", "请今天下班前签收", flow.clock.now())
    flow.clock.advance(minutes=30)
    with flow.db.transaction() as session:
        urging.urge(session, esc, flow.actor("DCS.supervisor"), sign.id, "cuiban", "", flow.clock.now())

    page = lxml_html.fromstring(pages.as_("CGW.dispatcher").get(f"/tasks/{sign.id}").get_data(as_text=True))
    entries = [" ".join(li.text_content().split()) for li in page.xpath("//section[@id='urgings']//li")]
    name = flow.actor("DCS.supervisor").display_name
    assert entries == [f"催办通知 {name} · 2026-09-28 09:30",
                       f"督办通知 {name} · 2026-09-28 09:00 附言：请今天下班前签收"]


def test_a_refusal_tells_the_street_which_button_was_pressed_and_why(pages: Pages, flow: Flow) -> None:
    case = flow.blow(departments=["CGW"])
    title = flow.instance(case).title
    flow.complete(flow.task(case, "Task_sign", "CGW").id,
                  {"decision": "refuse", "refuse_reason": "楼顶违建由规自委查处"}, as_="CGW.dispatcher")
    assert notes(pages, "HP.officer") == [
        f"区城市管理委员会在案件“{title}”的签收环节选择了“退单（非本部门职责）”，等待您改派。说明：楼顶违建由规自委查处"]
