"""Comments (留言) on the task and case pages, and the task form's draft (草稿), without JavaScript."""
from __future__ import annotations

import pytest
from lxml import html as lxml_html
from sqlalchemy import func, select

from engine.models.collaboration import TaskComment, TaskDraft
from tests.support import Flow
from tests.web.conftest import Pages


def tree(response: object) -> lxml_html.HtmlElement:
    return lxml_html.fromstring(response.get_data(as_text=True))  # type: ignore[attr-defined]


def comment_bodies(response: object) -> list[str]:
    return [p.text_content() for p in tree(response).xpath("//section[@id='comments']//p[@class='comment-body']")]


def count(flow: Flow, model: type) -> int:
    with flow.db.transaction(write=False) as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def whistle(flow: Flow) -> int:
    """A whistle of 和平街道 summoning CGW and ZJW."""
    return flow.blow(departments=["CGW", "ZJW"], title="和平里七区5号楼楼顶违建")


def test_a_comment_on_the_task_page_appears_on_the_case_page_of_another_department(
        flow: Flow, pages: Pages, whistle: int) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW").id
    cgw = pages.as_("CGW.dispatcher")
    posted = cgw.post(f"/tasks/{sign}/comments", {"body": "请街道协调物业打开楼顶通道。"})
    assert posted.status_code == 302 and posted.headers["Location"].endswith(f"/tasks/{sign}#comments")
    assert "留言已发表" in cgw.get(f"/tasks/{sign}").get_data(as_text=True)

    zjw = pages.as_("ZJW.dispatcher")
    page = zjw.get(f"/cases/{whistle}")
    assert comment_bodies(page) == ["请街道协调物业打开楼顶通道。"]
    head = tree(page).xpath("//li[@class='comment']/p[@class='comment-head']")[0].text_content()
    assert "城管委" in head and "签收" in head  # who wrote it, for which unit, on which step
    reply = zjw.post(f"/cases/{whistle}/comments", {"body": "住建委明早到场。"})
    assert reply.status_code == 302
    assert comment_bodies(cgw.get(f"/tasks/{sign}")) == ["请街道协调物业打开楼顶通道。", "住建委明早到场。"]
    assert "kind-commented" in cgw.get(f"/cases/{whistle}").get_data(as_text=True)  # in the timeline too
    told = pages.as_("HP.officer").get("/notifications").get_data(as_text=True)  # the street that blew it
    assert ("城管委接哨员（区城市管理委员会）在案件「和平里七区5号楼楼顶违建」中留言："
            "请街道协调物业打开楼顶通道。") in told


def test_a_10000_character_comment_is_refused_beside_the_field_and_nothing_is_stored(
        flow: Flow, pages: Pages, whistle: int) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW").id
    cgw = pages.as_("CGW.dispatcher")
    for path in (f"/tasks/{sign}/comments", f"/cases/{whistle}/comments"):
        refused = cgw.post(path, {"body": "长" * 10_000})
        assert refused.status_code == 422, path
        field = tree(refused).xpath("//section[@id='comments']//div[@data-field='body']")[0]
        error = field.xpath(".//span[@class='field-error']")[0].text_content()
        assert "留言须为 1 至 2000 个字，现在有 10000 个字" in error
        assert field.xpath(".//textarea")[0].text_content() == "长" * 10_000  # what was typed is kept
    assert cgw.post(f"/cases/{whistle}/comments", {"body": "a\x00b"}).status_code == 422  # refused at the door
    assert count(flow, TaskComment) == 0


def test_outsiders_cannot_comment_and_a_withdrawn_case_offers_no_form(
        flow: Flow, pages: Pages, whistle: int) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW").id
    outsider = pages.as_("STHJ.dispatcher")
    assert outsider.post(f"/cases/{whistle}/comments", {"body": "路过"}).status_code == 404
    assert pages.as_("ZJW.dispatcher").post(f"/tasks/{sign}/comments", {"body": "路过"}).status_code == 404
    officer = pages.as_("HP.officer")
    officer.post(f"/cases/{whistle}/withdraw", {"reason": "重复吹哨，已合并", "confirm": "yes"})
    page = officer.get(f"/cases/{whistle}")
    assert tree(page).xpath("//section[@id='comments']//form") == []
    assert "案件已撤销，不能再留言" in page.get_data(as_text=True)
    refused = officer.post(f"/cases/{whistle}/comments", {"body": "补一句"})
    assert refused.status_code == 302 and count(flow, TaskComment) == 0


def test_a_saved_draft_fills_the_form_again_for_its_writer_only(flow: Flow, pages: Pages, whistle: int) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW").id
    cgw = pages.as_("CGW.dispatcher")
    assert tree(cgw.get(f"/tasks/{sign}")).xpath("//form[@id='complete-form']//button[@class='save-draft']")
    saved = cgw.post(f"/tasks/{sign}/draft", {"contact": "王科长 13800000000", "note": "正在联系"})
    assert saved.status_code == 302
    page = cgw.get(f"/tasks/{sign}")
    form = tree(page).xpath("//form[@id='complete-form']")[0]
    assert form.xpath(".//input[@name='contact']")[0].get("value") == "王科长 13800000000"
    assert form.xpath(".//textarea[@name='note']")[0].text_content() == "正在联系"
    assert "已恢复您 2026-09-28 09:00 保存的草稿" in page.get_data(as_text=True)

    head = pages.as_("CGW.head").get(f"/tasks/{sign}")  # may take the task too, but the draft is not theirs
    assert tree(head).xpath("//form[@id='complete-form']//input[@name='contact']")[0].get("value") in (None, "")
    assert "已恢复" not in head.get_data(as_text=True)

    assert cgw.post(f"/tasks/{sign}/draft/discard").status_code == 302
    assert "已恢复" not in cgw.get(f"/tasks/{sign}").get_data(as_text=True)
    assert count(flow, TaskDraft) == 0


def test_autosave_gets_json_and_the_completed_task_drops_the_draft(flow: Flow, pages: Pages, whistle: int) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW").id
    cgw = pages.as_("CGW.dispatcher")
    answer = cgw.post(f"/tasks/{sign}/draft", {"contact": "王科长"}, headers={"Accept": "application/json"})
    assert answer.status_code == 200 and answer.get_json()["message"] == "草稿已保存 09:00"
    refused = pages.as_("CGW.staff").post(f"/tasks/{sign}/draft", {"contact": "x"},
                                          headers={"Accept": "application/json"})
    assert refused.status_code == 403 and refused.get_json()["saved"] is False
    done = cgw.post(f"/tasks/{sign}/complete", {"contact": "王科长 13800000000", "decision": "sign"})
    assert done.status_code == 302
    assert count(flow, TaskDraft) == 0
