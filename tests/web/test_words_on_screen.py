"""Words and numbers on pages: limits, kinds of time, people, process and state names, buttons, downloads, icons."""
from __future__ import annotations

import io
import json
import re
from datetime import datetime
from urllib.parse import quote

import pytest
from flask import Flask
from flask_babel import force_locale
from lxml import html as lxml_html

from engine.database import Database
from engine.models import ProcessInstance
from tests.support import SHANGHAI, WHISTLE_ANSWERS, Flow
from tests.web.conftest import Pages
from web.formatting import limit


@pytest.fixture
def whistle(flow: Flow) -> int:
    """A 综合执法哨 on 违法建设 (complete within 7wd) summoning CGW, blown Monday 2026-09-28 09:00."""
    flow.deploy_policy()
    return flow.blow(departments=["CGW"], title="和平里七区5号楼楼顶违建")


@pytest.mark.parametrize(("text", "zh", "en"), [
    ("2wh", "2个工作小时", "2 working hours"),
    ("1wh", "1个工作小时", "1 working hour"),
    ("7wd", "7个工作日", "7 working days"),
    ("1wd", "1个工作日", "1 working day"),
    ("15d", "15天（自然日）", "15 calendar days"),
    ("24h", "24小时", "24 hours"),
    ("30min", "30分钟", "30 minutes"),
    ("1.5wh", "1.5个工作小时", "1.5 working hours"),
])
def test_a_limit_reads_in_words_in_both_languages(app: Flask, text: str, zh: str, en: str) -> None:
    with app.test_request_context("/"):
        with force_locale("zh_CN"):
            assert limit(text) == zh
        with force_locale("en"):
            assert limit(text) == en


def test_an_unreadable_limit_is_shown_as_written(app: Flask) -> None:
    with app.test_request_context("/"):
        assert limit("2 weeks") == "2 weeks"
        assert limit(None) == ""


def test_the_task_page_names_its_limits_in_words(pages: Pages, flow: Flow, whistle: int) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW")
    body = pages.as_("CGW.dispatcher").get(f"/tasks/{sign.id}").get_data(as_text=True)
    tree = lxml_html.fromstring(body)
    shown = {c.get("data-clock"): c.xpath(".//h3/span[contains(@class, 'limit')]")[0].text_content().strip()
             for c in tree.xpath("//div[contains(@class, 'clock ')]")}
    assert shown["complete"] == "2个工作小时"  # 综合执法哨: sign within 2wh
    assert all(v.endswith(("个工作小时", "个工作日")) for v in shown.values()), shown


def test_extension_requests_name_the_extension_in_words(pages: Pages, flow: Flow, whistle: int) -> None:
    flow.complete(flow.task(whistle, "Task_sign", "CGW").id, {}, as_="CGW.dispatcher")
    report_in = flow.task(whistle, "Task_report_in", "CGW")
    staff = pages.as_("CGW.staff")
    staff.post(f"/tasks/{report_in.id}/claim")
    asked = staff.post(f"/tasks/{report_in.id}/extensions", {"clock": "complete", "extension": "2wd",
                                                              "reason": "需要协调产权单位"})
    assert asked.status_code in (200, 302, 303)
    page = lxml_html.fromstring(staff.get(f"/tasks/{report_in.id}").get_data(as_text=True))
    assert [s.text_content() for s in page.xpath("//section[contains(@class, 'extension-history')]//li/strong")] \
        == ["2个工作日"]
    head = lxml_html.fromstring(pages.as_("CGW.head").get("/tasks/extensions").get_data(as_text=True))
    listed = head.xpath("//table[contains(@class, 'extensions-table')]//strong")
    assert "2个工作日" in [s.text_content() for s in listed]


def badge_of(body: str) -> lxml_html.HtmlElement:
    """The due badge at the head of a task page."""
    found = lxml_html.fromstring(body).xpath("//div[@class='task-head']//span[@data-countdown]")
    assert found, "the task page shows no due badge"
    return found[0]


def test_remaining_time_counts_working_hours_and_says_so(pages: Pages, flow: Flow, whistle: int) -> None:
    # Signed: the report-in clock (1wd) runs; Monday 09:00 plus a working day is 8 working hours away.
    flow.complete(flow.task(whistle, "Task_sign", "CGW").id, {}, as_="CGW.dispatcher")
    report_in = flow.task(whistle, "Task_report_in", "CGW")
    badge = badge_of(pages.as_("CGW.staff").get(f"/tasks/{report_in.id}").get_data(as_text=True))
    text = badge.text_content().strip()
    assert text.startswith("剩余 ") and "个工作小时" in text, text
    assert badge.get("data-unit") == "working"
    assert "天" not in text  # a working day is not shown as days of 24 hours


def test_lateness_keeps_its_detail_and_says_it_is_calendar_time(pages: Pages, flow: Flow, whistle: int) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW")
    flow.clock.set(datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI))  # two weeks on: every clock is late
    body = pages.as_("CGW.dispatcher").get(f"/tasks/{sign.id}").get_data(as_text=True)
    badge = badge_of(body)
    text = badge.text_content().strip()
    assert text.startswith("已超时 ") and text.endswith("（自然时间）") and "天" in text, text
    assert "{t}" in badge.get("data-overdue-text") and "（自然时间）" in badge.get("data-overdue-text")
    formats = json.loads(badge.get("data-formats"))
    assert formats["dh"] == "{d}天{h}小时" and formats["wh"] == "{h}个工作小时"


def test_the_badge_carries_the_servers_now(pages: Pages, flow: Flow, whistle: int) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW")
    flow.clock.set(datetime(2026, 9, 28, 10, 17, tzinfo=SHANGHAI))
    badge = badge_of(pages.as_("CGW.dispatcher").get(f"/tasks/{sign.id}").get_data(as_text=True))
    assert datetime.fromisoformat(badge.get("data-server-now")) == flow.clock.now()


def test_english_badges_label_the_kind_of_time(pages: Pages, flow: Flow, whistle: int) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW")
    flow.clock.set(datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI))
    badge = badge_of(pages.as_("CGW.dispatcher", lang="en").get(f"/tasks/{sign.id}").get_data(as_text=True))
    assert badge.text_content().strip().endswith("(calendar time)")


# Who did what: people by their display names, not their login names

LOGIN = re.compile(r"\b(?:HP|CGW|ZJW|DCS|QLD)\.(?:officer|leader|dispatcher|staff|head|supervisor)\b")


def visible_text(body: str) -> str:
    """What a reader sees: the text of the page's main part (titles and attributes aside)."""
    tree = lxml_html.fromstring(body)
    main = tree.xpath("//main") or [tree]
    return " ".join(main[0].text_content().split())


def test_pages_name_people_by_their_display_names(pages: Pages, flow: Flow, whistle: int) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW")
    flow.claim(sign.id, as_="CGW.dispatcher")
    flow.clock.set(datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI))  # late: the boards list the held task
    seen = {
        "case page": pages.as_("HP.officer").get(f"/cases/{whistle}"),
        "street board": pages.as_("HP.officer").get(f"/whistles/{whistle}"),
        "task page": pages.as_("CGW.head").get(f"/tasks/{sign.id}"),
        "overdue board": pages.as_("DCS.supervisor").get("/supervise"),
        "department page": pages.as_("DCS.supervisor").get("/supervise/departments/CGW"),
    }
    logins = {where: LOGIN.findall(visible_text(r.get_data(as_text=True))) for where, r in seen.items()}
    assert all(r.status_code == 200 for r in seen.values())
    assert {where: found for where, found in logins.items() if found} == {}
    assert all("城管委接哨员" in visible_text(r.get_data(as_text=True))
               for where, r in seen.items() if where != "street board"), "the holder is named on each page"


def test_the_case_page_names_the_process_not_its_key(pages: Pages, whistle: int) -> None:
    body = pages.as_("HP.officer").get(f"/cases/{whistle}").get_data(as_text=True)
    head = lxml_html.fromstring(body).xpath("//h1/following-sibling::p[1]")[0]
    assert head.xpath(".//span[@class='process-name']")[0].text_content() == "街乡吹哨、部门报到"
    assert "whistle" not in " ".join(head.text_content().split())


# Each step's button names its action (from the form schema, not the code)


def button(pages: Pages, username: str, task_id: int, lang: str = "zh_CN") -> str:
    """The submit button's words on a task page."""
    body = pages.as_(username, lang=lang).get(f"/tasks/{task_id}").get_data(as_text=True)
    found = lxml_html.fromstring(body).xpath("//section[@id='task-form']//button[@type='submit']")
    assert found, f"no submit button on task {task_id} for {username}"
    return found[-1].text_content().strip()


def verify_buttons(pages: Pages, task_id: int) -> list[tuple[str, str]]:
    """The (value, words) of the 核验 form's buttons, which answer 处置是否到位 themselves."""
    body = pages.as_("HP.officer").get(f"/tasks/{task_id}").get_data(as_text=True)
    form = lxml_html.fromstring(body).xpath("//section[@id='task-form']//form")[0]
    assert not form.xpath(".//input[@type='radio'][@name='satisfied']")  # the buttons answer it
    return [(b.get("value"), b.text_content().strip()) for b in form.xpath(".//button[@name='satisfied']")]


def sign_buttons(pages: Pages, username: str, task_id: int, lang: str = "zh_CN") -> list[str]:
    """The words of the 签收 form's buttons, which answer its decision (签收 / 退单)."""
    body = pages.as_(username, lang=lang).get(f"/tasks/{task_id}").get_data(as_text=True)
    return [b.text_content().strip() for b in lxml_html.fromstring(body).xpath(
        "//section[@id='task-form']//button[@name='decision']")]


def test_each_step_names_its_action_on_its_button(pages: Pages, flow: Flow, whistle: int) -> None:
    seen = {}
    for element, who in [("Task_sign", "CGW.dispatcher"), ("Task_report_in", "CGW.staff"),
                         ("Task_handle", "CGW.staff")]:
        task = flow.task(whistle, element, "CGW")
        seen[element] = button(pages, who, task.id)
        if element == "Task_sign":  # 签收 or 退单: the buttons answer the decision
            seen[element] = sign_buttons(pages, who, task.id)
            seen["en"] = sign_buttons(pages, who, task.id, lang="en")
        flow.complete(task.id, WHISTLE_ANSWERS[element], as_=who)
    verify = flow.open_tasks(whistle, "Task_verify")[0]
    seen["Task_verify"] = verify_buttons(pages, verify.id)
    flow.complete(verify.id, {"satisfied": True}, as_="HP.officer")
    rate = flow.open_tasks(whistle, "Task_rate")[0]
    seen["Task_rate"] = button(pages, "HP.leader", rate.id)
    assert seen == {"Task_sign": ["签收", "退单（非本部门职责）"],
                    "en": ["Sign for the whistle", "Refuse (not this department's duty)"], "Task_report_in": "到场报到",
                    "Task_handle": "提交处置结果", "Task_verify": [("true", "核验通过"), ("false", "退回重办")],
                    "Task_rate": "提交评价"}


def test_the_rating_form_explains_its_marks(pages: Pages, flow: Flow, whistle: int) -> None:
    for element, who in [("Task_sign", "CGW.dispatcher"), ("Task_report_in", "CGW.staff"),
                         ("Task_handle", "CGW.staff")]:
        flow.complete(flow.task(whistle, element, "CGW").id, WHISTLE_ANSWERS[element], as_=who)
    flow.complete(flow.open_tasks(whistle, "Task_verify")[0].id, {"satisfied": True}, as_="HP.officer")
    rate = flow.open_tasks(whistle, "Task_rate")[0]
    zh = pages.as_("HP.leader").get(f"/tasks/{rate.id}").get_data(as_text=True)
    assert zh.count("1 分很不满意") == 3 and "5 分非常满意" in zh  # one legend per mark
    en = pages.as_("HP.leader", lang="en").get(f"/tasks/{rate.id}").get_data(as_text=True)
    assert "1 very dissatisfied" in en


# One word per state: a closed case is 已结案 everywhere, a done task 已办结


def test_a_closed_case_is_called_closed_on_every_page(pages: Pages, flow: Flow, whistle: int) -> None:
    flow.run_department(whistle, "CGW")
    flow.rate(whistle, "CGW")
    assert flow.instance(whistle).status.value == "completed"
    officer = pages.as_("HP.officer")
    case_page = lxml_html.fromstring(officer.get(f"/cases/{whistle}").get_data(as_text=True))
    board = lxml_html.fromstring(officer.get(f"/whistles/{whistle}").get_data(as_text=True))
    case_badge = case_page.xpath("//h1/following-sibling::p[1]//span[contains(@class, 'badge')]")[0]
    board_badge = board.xpath("//span[contains(@class, 'badge status-completed')]")[0]
    assert (case_badge.text_content(), board_badge.text_content()) == ("已结案", "已结案")
    task_states = {b.text_content() for b in case_page.xpath("//table//span[contains(@class, 'status-completed')]")}
    assert task_states == {"已办结"}


# Download names


def test_a_chinese_file_name_downloads_with_a_sensible_ascii_fallback(pages: Pages, flow: Flow, db: Database) -> None:
    from tests.web.test_pages_street import blow, case_id_of

    flow.deploy()
    pdf = b"%PDF-1.4\n%%EOF"
    case_id = case_id_of(blow(pages, attachments=[(io.BytesIO(pdf), "现场照片.pdf"), (io.BytesIO(pdf), "plan 2.pdf")]))
    with db.transaction(write=False) as session:
        ids = session.get(ProcessInstance, case_id).case_data["attachments"]  # type: ignore[union-attr]
    officer = pages.as_("HP.officer")
    chinese = officer.get(f"/attachments/{ids[0]}").headers["Content-Disposition"]
    assert chinese == (f"attachment; filename=\"attachment-{ids[0]}.pdf\"; "
                       f"filename*=UTF-8''{quote('现场照片.pdf', safe='')}")
    plain = officer.get(f"/attachments/{ids[1]}").headers["Content-Disposition"]
    assert plain == "attachment; filename=\"plan 2.pdf\"; filename*=UTF-8''plan%202.pdf"


def test_every_page_links_an_icon_that_is_served(app: Flask) -> None:
    client = app.test_client()
    login = lxml_html.fromstring(client.get("/login").get_data(as_text=True))
    icons = login.xpath("//head/link[@rel='icon']/@href")
    assert len(icons) == 1
    served = client.get(icons[0])
    assert served.status_code == 200 and served.mimetype == "image/svg+xml"
    assert lxml_html.fromstring(served.data).tag.endswith("svg")


def test_the_live_diagrams_legend_shows_no_sample_numbers(pages: Pages, flow: Flow) -> None:
    flow.deploy()
    page = lxml_html.fromstring(pages.as_("designer").get("/design/whistle").get_data(as_text=True))
    legend = page.xpath("//div[contains(@class, 'design-legend')]")[0]
    swatches = legend.xpath(".//span[contains(@class, 'design-count')]")
    assert [s.get("class").split()[1] for s in swatches] == ["waiting", "overdue"]
    assert not re.search(r"\d", legend.text_content()), legend.text_content()


def test_boards_say_lateness_is_calendar_time(pages: Pages, flow: Flow, whistle: int) -> None:
    flow.clock.set(datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI))
    supervisor = pages.as_("DCS.supervisor")
    for path in ("/supervise", "/supervise/departments/CGW"):
        headers = lxml_html.fromstring(supervisor.get(path).get_data(as_text=True)).xpath("//table//th")
        assert "超时（自然时间）" in [h.text_content().strip() for h in headers], path


def test_the_verify_buttons_approve_or_send_back(pages: Pages, flow: Flow, whistle: int) -> None:
    for element, who in [("Task_sign", "CGW.dispatcher"), ("Task_report_in", "CGW.staff"),
                         ("Task_handle", "CGW.staff")]:
        flow.complete(flow.task(whistle, element, "CGW").id, WHISTLE_ANSWERS[element], as_=who)
    verify = flow.open_tasks(whistle, "Task_verify")[0]
    officer = pages.as_("HP.officer")
    refused = officer.post(f"/tasks/{verify.id}/complete", {"satisfied": "false", "comment": ""})
    assert refused.status_code == 422  # 退回重办 needs the reason
    sent_back = officer.post(f"/tasks/{verify.id}/complete", {"satisfied": "false", "comment": "违建未拆除干净"})
    assert sent_back.status_code in (302, 303)
    assert [t.element_id for t in flow.open_tasks(whistle)] == ["Task_handle"]
