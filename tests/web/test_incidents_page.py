"""Who sees a stuck case: the incidents page and API for designers and admins, the case page for all its readers."""
from __future__ import annotations

import pytest

from engine.errors import ProcessFailed
from tests.incident_support import START, deploy_unchecked
from tests.support import Flow
from tests.web.conftest import Api, Pages


def stuck_case(flow: Flow) -> int:
    """A case on a version with a dead end, finished up to it (a ``stuck`` incident is open)."""
    deploy_unchecked(flow, "dead_end", deployed_by="designer")
    case = flow.start("dead_end", START, as_="HP.officer")
    flow.complete(flow.task(case, "Task_handle", "ZJW").id, {"result": "已疏通"}, as_="ZJW.staff")
    return case


def failed_case(flow: Flow) -> int:
    """A case whose completion failed at a gateway (a ``step_failed`` incident is open)."""
    deploy_unchecked(flow, "failing_condition")
    case = flow.start("failing_condition", START, as_="HP.officer")
    with pytest.raises(ProcessFailed):
        flow.complete(flow.task(case, "Task_handle", "ZJW").id, {"result": "已疏通"}, as_="ZJW.staff")
    return case


def test_the_incidents_page_lists_each_stuck_case_with_its_reason_in_chinese(flow: Flow, pages: Pages) -> None:
    stuck, failed = stuck_case(flow), failed_case(flow)
    html = pages.as_("admin").get("/operate/incidents").get_data(as_text=True)
    assert "流程在 「处置反馈」 之后没有任何待办、定时器或等待的消息，无法继续。" in html
    assert "环节 「是否紧急」 运行出错" in html
    assert f'data-case="{stuck}"' in html and f'data-case="{failed}"' in html
    assert f'href="/cases/{stuck}"' in html  # admins follow every case
    assert html.index(f'data-case="{failed}"') < html.index(f'data-case="{stuck}"')  # the latest seen first
    only_stuck = pages.as_("designer").get("/operate/incidents?kind=stuck").get_data(as_text=True)
    assert f'data-case="{stuck}"' in only_stuck and f'data-case="{failed}"' not in only_stuck
    by_process = pages.as_("admin").get("/operate/incidents?process=failing_condition").get_data(as_text=True)
    assert f'data-case="{failed}"' in by_process and f'data-case="{stuck}"' not in by_process
    assert "没有符合筛选条件的异常" in pages.as_("admin").get("/operate/incidents?status=resolved").get_data(
        as_text=True)


def test_the_incidents_page_is_for_designers_and_admins_only(flow: Flow, pages: Pages) -> None:
    stuck_case(flow)
    assert pages.as_("HP.officer").get("/operate/incidents").status_code == 403
    assert pages.as_("designer").get("/operate/incidents").status_code == 200
    assert pages.as_("admin").get("/operate/incidents?kind=nonsense").status_code == 400


def test_the_case_page_says_it_plainly(flow: Flow, pages: Pages) -> None:
    """Admins read why and where; the officer who started it reads that it is known."""
    case = stuck_case(flow)
    admin = pages.as_("admin").get(f"/cases/{case}").get_data(as_text=True)
    assert "此案件无法自行推进" in admin and "「处置反馈」" in admin
    assert "异常：案件无法推进" in admin  # and in the timeline, from the history
    officer = pages.as_("HP.officer").get(f"/cases/{case}").get_data(as_text=True)
    assert "此案件暂时无法推进，已通知管理员。" in officer and "「处置反馈」" not in officer


def test_the_designer_is_notified_in_words(flow: Flow, pages: Pages) -> None:
    stuck_case(flow)
    html = pages.as_("designer").get("/notifications").get_data(as_text=True)
    assert "无法自行推进：流程在 「处置反馈」 之后没有任何待办" in html


def test_the_api_lists_and_shows_incidents_with_a_total(flow: Flow, api: Api) -> None:
    stuck, failed = stuck_case(flow), failed_case(flow)
    body = api.call("designer", "GET", "/incidents").get_json()
    assert body["total"] == 2 and [i["instance_id"] for i in body["items"]] == [failed, stuck]
    first = body["items"][1]
    assert (first["kind"], first["element_id"], first["status"], first["occurrences"]) == (
        "stuck", "Task_handle", "open", 1)
    assert first["reason"].startswith("The process has no task, timer or awaited message after")
    assert first["template"] and first["first_seen_at"]
    page = api.call("admin", "GET", "/incidents?limit=1").get_json()
    assert (len(page["items"]), page["total"], page["next_offset"]) == (1, 2, 1)
    assert api.call("admin", "GET", f"/incidents?instance={stuck}").get_json()["total"] == 1
    assert api.call("admin", "GET", "/incidents?kind=step_failed").get_json()["items"][0]["instance_id"] == failed
    assert api.call("admin", "GET", "/incidents?status=resolved").get_json()["total"] == 0
    one = api.call("admin", "GET", f"/incidents/{first['id']}", headers={"Accept-Language": "zh-CN"}).get_json()
    assert one["id"] == first["id"] and one["reason"].startswith("流程在 「处置反馈」 之后")
    assert api.call("admin", "GET", "/incidents/999999").status_code == 404
    assert api.call("HP.officer", "GET", "/incidents").status_code == 403
    assert api.call("admin", "GET", "/incidents?kind=bad").status_code == 400
