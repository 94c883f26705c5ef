"""The department staff pages: the inbox tabs and filters, claiming with htmx, the task page, extensions."""
from __future__ import annotations

import io
import re
import struct
import zlib
from datetime import datetime

import pytest
from lxml import html as lxml_html

from tests.support import SHANGHAI, WHISTLE_ANSWERS, Flow
from tests.web.conftest import PageClient, Pages

HTMX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/tasks?tab=department"}


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A 2026 Beijing instant."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def whistle(flow: Flow) -> int:
    """A whistle of 和平街道 on 违法建设 summoning CGW and ZJW, blown Monday 2026-09-28 09:00, with deadlines."""
    flow.deploy_policy()
    return flow.blow(departments=["CGW", "ZJW"], title="和平里七区5号楼楼顶违建")


def rows(client: PageClient, path: str) -> list[dict[str, str]]:
    """The inbox lines of a page: id, task, about, case, street, category, status."""
    response = client.get(path)
    assert response.status_code == 200
    tree = lxml_html.fromstring(response.get_data(as_text=True))
    found = []
    for tr in tree.xpath("//tr[contains(@class, 'task-row')]"):
        cells = tr.xpath("./td")
        found.append({
            "id": tr.get("id").removeprefix("task-"),
            "task": tr.xpath(".//a[@class='task-name']")[0].text_content().strip(),
            "about": "".join(t.text_content() for t in tr.xpath(".//span[@class='about']")).strip(),
            "case": cells[1].xpath("./a")[0].text_content().strip(),
            "street": cells[2].text_content().strip(),
            "category": cells[3].text_content().strip(),
            "status": cells[5].text_content().split(),
        })
    return found


def text(response: object) -> str:
    """The visible text of a page, whitespace collapsed."""
    body = response.get_data(as_text=True)  # type: ignore[attr-defined]
    return " ".join(lxml_html.fromstring(body).text_content().split())


def field_error(body: str, name: str) -> str:
    """The message shown next to a form field."""
    nodes = lxml_html.fromstring(body).xpath(f"//div[@data-field='{name}']//span[@class='field-error']")
    return nodes[0].text_content().strip() if nodes else ""


# The inbox


def test_each_department_sees_its_own_queue(pages: Pages, whistle: int) -> None:
    cgw = rows(pages.as_("CGW.dispatcher"), "/tasks?tab=department")
    assert [(r["task"], r["about"], r["case"], r["street"], r["category"]) for r in cgw] == [
        ("签收", "城管委", "和平里七区5号楼楼顶违建", "和平街道", "违法建设")]
    assert [r["task"] for r in rows(pages.as_("ZJW.staff"), "/tasks?tab=department")] == ["签收"]
    assert rows(pages.as_("SWJ.dispatcher"), "/tasks?tab=department") == []
    mine = pages.as_("CGW.dispatcher").get("/tasks?tab=mine")  # a bare /tasks opens the queue holding the work
    assert "你手上没有任务" in text(mine)


def test_street_tasks_name_the_department_they_are_about(pages: Pages, flow: Flow, whistle: int) -> None:
    flow.complete(flow.task(whistle, "Task_sign", "CGW").id, WHISTLE_ANSWERS["Task_sign"], as_="CGW.dispatcher")
    flow.complete(flow.task(whistle, "Task_report_in", "CGW").id, WHISTLE_ANSWERS["Task_report_in"],
                  as_="CGW.staff")
    flow.complete(flow.task(whistle, "Task_handle", "CGW").id, WHISTLE_ANSWERS["Task_handle"], as_="CGW.staff")
    street = rows(pages.as_("HP.officer"), "/tasks?tab=department")
    assert [(r["task"], r["about"]) for r in street] == [("核验", "城管委")]


def test_filters_narrow_the_queue_by_category_street_deadline_and_title(pages: Pages, flow: Flow) -> None:
    flow.deploy_policy()
    flow.blow(departments=["CGW"], title="和平里物业失管", category="WYGL")
    flow.blow(departments=["CGW"], title="新华里违建", category="WFJS", street="XH", community="新华里社区",
              as_="XH.officer")
    flow.clock.set(at(9, 28, 13, 30))
    flow.blow(departments=["CGW"], title="光明楼道路不洁", category="DLBJ", street="GM", community="光明楼社区",
              as_="GM.officer")
    client = pages.as_("CGW.dispatcher")

    def cases(query: str) -> list[str]:
        return sorted(r["case"] for r in rows(client, f"/tasks?tab=department&{query}"))

    assert cases("") == ["光明楼道路不洁", "和平里物业失管", "新华里违建"]
    assert cases("category=WYGL") == ["和平里物业失管"]
    assert cases("street=XH") == ["新华里违建"]
    assert cases("street=XH&category=WYGL") == []
    assert cases("q=违建") == ["新华里违建"]
    assert cases("q=失管+和平里") == ["和平里物业失管"]
    assert cases("q=100%25") == []  # a percent sign is a character, not a wildcard
    # Signing is due 2 working hours after each whistle: 11:00 for the morning ones (late at 13:30),
    # 15:30 for the last (DLBJ's completion limit, 2wh from the whistle, too); WYGL 7d and WFJS 7wd run on.
    assert cases("due=overdue") == ["和平里物业失管", "新华里违建"]
    assert cases("due=today") == ["光明楼道路不洁"]
    kept = client.get("/tasks?tab=department&street=XH&category=WFJS").get_data(as_text=True)
    # The filter shows what it holds.
    assert re.search(r'<option value="XH"\s+selected translate="no">新华街道</option>', kept)
    assert re.search(r'<option value="WFJS"\s+selected', kept) and not re.search(r'<option value="GM"\s+selected', kept)
    empty = client.get("/tasks?tab=department&street=TP")
    assert "没有符合筛选条件的任务" in text(empty) and "清除筛选" in text(empty)


def test_pages_of_the_queue_follow_each_other(pages: Pages, flow: Flow, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("web.inbox.listing.PAGE_SIZE", 2)
    monkeypatch.setattr("web.inbox.queue_views.PAGE_SIZE", 2)
    for n in range(5):
        flow.clock.advance(minutes=1)
        flow.blow(departments=["CGW"], title=f"第{n}号案件")
    client = pages.as_("CGW.dispatcher")
    seen = [[r["case"] for r in rows(client, f"/tasks?tab=department&page={p}")] for p in (1, 2, 3)]
    assert seen == [["第0号案件", "第1号案件"], ["第2号案件", "第3号案件"], ["第4号案件"]]
    first = client.get("/tasks?tab=department").get_data(as_text=True)
    assert 'href="/tasks?tab=department&amp;page=2"' in first and 'rel="prev"' not in first
    last = client.get("/tasks?tab=department&page=3").get_data(as_text=True)
    assert 'rel="next"' not in last and 'href="/tasks?tab=department&amp;page=2"' in last


def test_a_bad_query_falls_back_to_the_defaults(pages: Pages, whistle: int) -> None:
    client = pages.as_("CGW.dispatcher")
    assert client.get("/tasks?tab=nonsense&page=abc&due=later").status_code == 200


# Claiming


def test_claiming_with_htmx_swaps_the_row(pages: Pages, flow: Flow, whistle: int) -> None:
    client = pages.as_("CGW.dispatcher")
    sign = rows(client, "/tasks?tab=department")[0]
    response = client.post(f"/tasks/{sign['id']}/claim", headers=HTMX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith(f'<tr id="task-{sign["id"]}"')
    assert "<html" not in body
    assert "城管委接哨员" in body and "办理中" in body and "退回待办" in body
    assert [r["task"] for r in rows(client, "/tasks")] == ["签收"]  # now in my tasks
    assert rows(client, "/tasks?tab=department") == []
    released = client.post(f"/tasks/{sign['id']}/unclaim", headers=HTMX)
    assert released.status_code == 200 and "认领" in released.get_data(as_text=True)
    assert [r["task"] for r in rows(client, "/tasks?tab=department")] == ["签收"]


def test_a_late_claim_shows_who_was_faster(pages: Pages, whistle: int) -> None:
    dispatcher, head = pages.as_("CGW.dispatcher"), pages.as_("CGW.head")
    sign = rows(head, "/tasks?tab=department")[0]  # both see it open
    assert dispatcher.post(f"/tasks/{sign['id']}/claim", headers=HTMX).status_code == 200
    late = head.post(f"/tasks/{sign['id']}/claim", headers=HTMX)
    assert late.status_code == 409
    message = lxml_html.fromstring(late.get_data(as_text=True)).xpath("//p[@class='row-message']")[0]
    assert message.text_content().strip() == f"任务 {sign['id']} 已被 城管委接哨员 认领。"


def test_claiming_without_javascript_redirects_back(pages: Pages, whistle: int) -> None:
    client = pages.as_("CGW.dispatcher")
    sign = rows(client, "/tasks?tab=department")[0]
    response = client.post(f"/tasks/{sign['id']}/claim", {"next": "/tasks?tab=department"})
    assert response.status_code == 302 and response.headers["Location"] == "/tasks?tab=department"
    assert "已认领该任务" in text(client.get("/tasks?tab=department"))
    elsewhere = client.post(f"/tasks/{sign['id']}/unclaim", {"next": "https://evil.example/"})
    assert elsewhere.headers["Location"] == "/tasks"


def test_staff_may_not_claim_the_dispatchers_step(pages: Pages, whistle: int) -> None:
    staff = pages.as_("CGW.staff")
    sign = rows(staff, "/tasks?tab=department")[0]
    assert f'action="/tasks/{sign["id"]}/claim"' not in staff.get("/tasks?tab=department").get_data(as_text=True)
    refused = staff.post(f"/tasks/{sign['id']}/claim", headers=HTMX)
    assert refused.status_code == 403 and "只有本单位的部门接哨员可以认领" in refused.get_data(as_text=True)


# The task page


def test_another_departments_task_is_not_found(pages: Pages, flow: Flow, whistle: int) -> None:
    cgw = flow.task(whistle, "Task_sign", "CGW")
    client = pages.as_("SWJ.dispatcher")
    assert client.get(f"/tasks/{cgw.id}").status_code == 404
    assert client.post(f"/tasks/{cgw.id}/complete", {}).status_code == 404
    assert client.post(f"/tasks/{cgw.id}/claim", headers=HTMX).status_code == 404


def test_the_task_page_shows_the_case_and_other_departments_reports(pages: Pages, flow: Flow,
                                                                    whistle: int) -> None:
    flow.complete(flow.task(whistle, "Task_sign", "CGW").id, {"contact": "王科长 13800000000"},
                  as_="CGW.dispatcher")
    flow.complete(flow.task(whistle, "Task_report_in", "CGW").id, {"on_site_staff": "执法队 3 人"},
                  as_="CGW.staff")
    zjw = flow.task(whistle, "Task_sign", "ZJW")
    response = pages.as_("ZJW.dispatcher").get(f"/tasks/{zjw.id}")
    assert response.status_code == 200
    tree = lxml_html.fromstring(response.get_data(as_text=True))
    reported = {dt.text_content(): dt.getnext().text_content().strip()
                for dt in tree.xpath("//section[h2='上报内容']//dt")}
    assert reported["问题类别"] == "违法建设" and reported["吹哨类型"] == "综合执法哨"
    assert reported["召集部门"] == "城管委、住建委" and reported["吹哨街道（乡镇）"] == "和平街道"
    cgw = tree.xpath("//div[@data-department='CGW']")[0]
    assert [h.text_content() for h in cgw.xpath(".//article//strong")] == ["签收", "到场报到"]
    assert "联系人及电话 王科长 13800000000" in " ".join(cgw.text_content().split())
    assert "到场人员 执法队 3 人" in " ".join(cgw.text_content().split())
    own = tree.xpath("//div[@data-department='ZJW']")[0]
    assert "尚无反馈" in own.text_content()
    clocks = [c.get("data-clock") for c in tree.xpath("//div[contains(@class, 'clock ')]")]
    assert clocks == ["report_in", "complete"]
    assert tree.xpath("//form[contains(@action, '/complete')]//input[@name='contact']")


def test_an_invalid_form_keeps_what_was_typed_and_says_why_in_chinese(pages: Pages, flow: Flow,
                                                                       whistle: int) -> None:
    flow.complete(flow.task(whistle, "Task_sign", "CGW").id, {}, as_="CGW.dispatcher")
    report_in = flow.task(whistle, "Task_report_in", "CGW")
    client = pages.as_("CGW.staff")
    response = client.post(f"/tasks/{report_in.id}/complete", {"on_site_staff": "张", "note": "已到现场，正在取证"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert field_error(body, "on_site_staff") == "至少 2 个字符。"
    tree = lxml_html.fromstring(body)
    assert tree.xpath("//input[@name='on_site_staff']/@value") == ["张"]
    assert tree.xpath("//textarea[@name='note']")[0].text_content() == "已到现场，正在取证"
    assert "请修改标出的字段" in text(response)
    assert flow.task(whistle, "Task_report_in", "CGW").status.value == "open"  # nothing changed, not even a claim


def test_completing_redirects_and_the_next_step_appears(pages: Pages, flow: Flow, whistle: int) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW")
    client = pages.as_("CGW.dispatcher")
    response = client.post(f"/tasks/{sign.id}/complete", {"contact": "王科长", "note": ""})
    assert response.status_code == 302 and response.headers["Location"] == "/tasks?tab=department"
    queue = client.get("/tasks?tab=department")
    assert "“签收”已办结" in text(queue)
    assert [r["task"] for r in rows(pages.as_("CGW.staff"), "/tasks?tab=department")] == ["到场报到"]
    done = rows(client, "/tasks?tab=done")
    assert [(r["task"], r["case"]) for r in done] == [("签收", "和平里七区5号楼楼顶违建")]
    submitted = client.get(f"/tasks/{sign.id}")
    assert "已提交" in text(submitted) and "王科长" in text(submitted)
    assert f'action="/tasks/{sign.id}/complete"' not in submitted.get_data(as_text=True)


def test_a_task_held_by_someone_else_cannot_be_completed_from_the_page(pages: Pages, flow: Flow,
                                                                       whistle: int) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW")
    flow.claim(sign.id, as_="CGW.dispatcher")
    head = pages.as_("CGW.head")
    page = head.get(f"/tasks/{sign.id}")
    assert "该任务由 城管委接哨员 办理中" in text(page)
    assert f'action="/tasks/{sign.id}/unclaim"' in page.get_data(as_text=True)  # the head may release it
    refused = head.post(f"/tasks/{sign.id}/complete", {"contact": "x"})
    assert refused.status_code == 302
    assert "已被 城管委接哨员 认领" in text(head.get(f"/tasks/{sign.id}"))


# Extensions (延期申请)


def test_an_extension_is_requested_and_approved(pages: Pages, flow: Flow, whistle: int) -> None:
    flow.complete(flow.task(whistle, "Task_sign", "CGW").id, {}, as_="CGW.dispatcher")
    flow.complete(flow.task(whistle, "Task_report_in", "CGW").id, {"on_site_staff": "两人"}, as_="CGW.staff")
    handle = flow.task(whistle, "Task_handle", "CGW")
    staff = pages.as_("CGW.staff")
    wrong = staff.post(f"/tasks/{handle.id}/extensions", {"clock": "complete", "extension": "2 weeks",
                                                          "reason": "需协调产权单位"})
    assert wrong.status_code == 422
    assert field_error(wrong.get_data(as_text=True), "extension") == "请填写时限，例如 4wh、2wd 或 3d。"
    assert "需协调产权单位" in wrong.get_data(as_text=True)  # the reason is kept
    asked = staff.post(f"/tasks/{handle.id}/extensions", {"clock": "complete", "extension": "2wd",
                                                          "reason": "需协调产权单位"})
    assert asked.status_code == 302
    page = staff.get(f"/tasks/{handle.id}")
    assert "延期申请已提交" in text(page) and "待负责人审批" in text(page)
    again = staff.post(f"/tasks/{handle.id}/extensions", {"clock": "complete", "extension": "1wd", "reason": "再延"})
    assert again.status_code == 302 and "已有一份延期申请在等待审批" in text(staff.get(f"/tasks/{handle.id}"))

    assert staff.get("/tasks/extensions").status_code == 403
    head = pages.as_("CGW.head")
    assert "延期申请 1" in text(head.get("/tasks"))
    listing = head.get("/tasks/extensions")
    listed = text(listing)
    # 7wd from the whistle: 2026-10-13 17:30; two more working days: 2026-10-15 17:30.
    assert "城管委处置人员" in listed and "需协调产权单位" in listed
    assert "2026-10-13 17:30" in listed and "批准后： 2026-10-15 17:30" in listed
    request_id = lxml_html.fromstring(listing.get_data(as_text=True)).xpath("//tr/@id")[0].removeprefix("extension-")
    decided = head.post(f"/tasks/extensions/{request_id}/approve", {"note": "同意"})
    assert decided.status_code == 302 and decided.headers["Location"] == "/tasks/extensions"
    assert "已批准延期" in text(head.get("/tasks/extensions"))
    assert "没有等待你审批的延期申请" in text(head.get("/tasks/extensions"))
    after = text(staff.get(f"/tasks/{handle.id}"))
    assert "已批准" in after and "新期限 2026-10-15 17:30" in after
    assert "延期获批" in text(staff.get("/notifications"))
    twice = head.post(f"/tasks/extensions/{request_id}/reject", {})
    assert twice.status_code == 302 and "已经审批过" in text(head.get("/tasks/extensions"))


def test_pages_speak_english_when_asked(pages: Pages, flow: Flow, whistle: int) -> None:
    client = pages.as_("CGW.dispatcher", lang="en")
    queue = text(client.get("/tasks?tab=department"))
    assert "Department queue" in queue and "Claim" in queue
    sign = flow.task(whistle, "Task_sign", "CGW")
    page = text(client.get(f"/tasks/{sign.id}"))
    assert "What was reported" in page and "Problem category" in page


def test_evidence_sent_with_a_report_reaches_the_street(pages: Pages, flow: Flow, whistle: int) -> None:
    flow.complete(flow.task(whistle, "Task_sign", "CGW").id, {}, as_="CGW.dispatcher")
    flow.complete(flow.task(whistle, "Task_report_in", "CGW").id, {"on_site_staff": "两人"}, as_="CGW.staff")
    handle = flow.task(whistle, "Task_handle", "CGW")
    staff = pages.as_("CGW.staff")
    assert 'type="file" name="evidence"' in staff.get(f"/tasks/{handle.id}").get_data(as_text=True)
    photo = (io.BytesIO(png()), "拆除后.png")
    refused = staff.post(f"/tasks/{handle.id}/complete", {"result": "已拆", "evidence": photo})
    assert refused.status_code == 422  # the result is too short; the photo is kept for the next try
    kept = lxml_html.fromstring(refused.get_data(as_text=True)).xpath("//input[@name='evidence__kept']/@value")
    assert len(kept) == 1
    done = staff.post(f"/tasks/{handle.id}/complete", {"result": "已责令停工并拆除违建部分", "evidence__kept": kept[0]})
    assert done.status_code == 302
    verify = next(t for t in flow.open_tasks(whistle, "Task_verify") if t.context.get("department") == "CGW")
    page = pages.as_("HP.officer").get(f"/tasks/{verify.id}")
    link = lxml_html.fromstring(page.get_data(as_text=True)).xpath("//dd[@data-field='evidence']//a")[0]
    assert link.text_content() == "拆除后.png" and link.get("href") == f"/attachments/{kept[0]}"
    assert pages.as_("HP.officer").get(link.get("href")).status_code == 200


def png() -> bytes:
    """A real 1x1 PNG."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xc6\x28\x28")) + chunk(b"IEND", b""))
