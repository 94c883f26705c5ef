"""API: comments on tasks and cases, and the caller's draft of a task's form."""
from __future__ import annotations

import pytest

from tests.support import WHISTLE_ANSWERS, Flow
from tests.web.conftest import Api


@pytest.fixture
def whistle(flow: Flow) -> int:
    """A whistle of 和平街道 summoning CGW and ZJW."""
    return flow.blow(departments=["CGW", "ZJW"])


def test_comments_on_a_task_and_on_the_case_are_read_by_everyone_on_it(api: Api, flow: Flow, whistle: int) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW").id
    made = api.call("CGW.dispatcher", "POST", f"/tasks/{sign}/comments", {"body": " 已联系物业 "})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert {k: body[k] for k in ("instance_id", "task_id", "author", "department", "body")} == {
        "instance_id": whistle, "task_id": sign, "author": "CGW.dispatcher", "department": "CGW",
        "body": "已联系物业"}
    assert body["created_at"].startswith("2026-09-28T01:00")
    assert api.call("ZJW.dispatcher", "POST", f"/instances/{whistle}/comments", {"body": "明早到场"}).status_code == 201

    listed = api.call("HP.officer", "GET", f"/instances/{whistle}/comments").get_json()["items"]
    assert [(c["body"], c["task_id"], c["department"]) for c in listed] == [
        ("已联系物业", sign, "CGW"), ("明早到场", None, "ZJW")]
    on_task = api.call("CGW.head", "GET", f"/tasks/{sign}/comments").get_json()["items"]
    assert [c["body"] for c in on_task] == ["已联系物业"]


def test_comment_bounds_and_outsiders(api: Api, flow: Flow, whistle: int) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW").id
    too_long = api.call("CGW.dispatcher", "POST", f"/tasks/{sign}/comments", {"body": "长" * 10_000})
    assert too_long.status_code == 422 and too_long.get_json()["errors"][0]["field"] == "body"
    blank = api.call("CGW.dispatcher", "POST", f"/tasks/{sign}/comments", {"body": "   "})
    assert blank.status_code == 422 and "1 to 2000 characters" in blank.get_json()["errors"][0]["message"]
    assert api.call("CGW.dispatcher", "POST", f"/tasks/{sign}/comments", {"text": "x"}).status_code == 422
    assert api.call("STHJ.dispatcher", "GET", f"/instances/{whistle}/comments").status_code == 404
    assert api.call("STHJ.dispatcher", "POST", f"/instances/{whistle}/comments", {"body": "x"}).status_code == 404
    assert api.call("ZJW.dispatcher", "GET", f"/tasks/{sign}/comments").status_code == 404
    assert api.call("HP.officer", "GET", f"/instances/{whistle}/comments").get_json()["items"] == []


def test_a_draft_is_put_read_and_deleted_by_its_writer_only(api: Api, flow: Flow, whistle: int) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW").id
    assert api.call("CGW.dispatcher", "GET", f"/tasks/{sign}/draft").status_code == 404
    put = api.call("CGW.dispatcher", "PUT", f"/tasks/{sign}/draft", {"data": {"contact": "王科长", "zzz": 1}})
    assert put.status_code == 200, put.get_json()
    assert put.get_json()["data"] == {"contact": "王科长"} and put.get_json()["dropped"] == ["zzz"]
    got = api.call("CGW.dispatcher", "GET", f"/tasks/{sign}/draft").get_json()
    assert got["data"] == {"contact": "王科长"} and got["updated_at"].startswith("2026-09-28T01:00")
    assert api.call("CGW.head", "GET", f"/tasks/{sign}/draft").status_code == 404  # not theirs
    assert api.call("CGW.staff", "PUT", f"/tasks/{sign}/draft", {"data": {"contact": "x"}}).status_code == 403
    assert api.call("ZJW.dispatcher", "PUT", f"/tasks/{sign}/draft", {"data": {}}).status_code == 404
    huge = api.call("CGW.dispatcher", "PUT", f"/tasks/{sign}/draft", {"data": {"note": "长" * 30_000}})
    assert huge.status_code == 422 and huge.get_json()["errors"][0]["field"] == "data"
    assert api.call("CGW.dispatcher", "PUT", f"/tasks/{sign}/draft", {"data": []}).status_code == 422
    assert api.call("CGW.dispatcher", "DELETE", f"/tasks/{sign}/draft").status_code == 204
    assert api.call("CGW.dispatcher", "GET", f"/tasks/{sign}/draft").status_code == 404
    assert api.call("CGW.dispatcher", "DELETE", f"/tasks/{sign}/draft").status_code == 204


def test_completing_the_task_drops_its_draft(api: Api, flow: Flow, whistle: int) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW").id
    api.call("CGW.dispatcher", "PUT", f"/tasks/{sign}/draft", {"data": {"contact": "王科长"}})
    done = api.call("CGW.dispatcher", "POST", f"/tasks/{sign}/complete", {"data": WHISTLE_ANSWERS["Task_sign"]})
    assert done.status_code == 200, done.get_json()
    assert api.call("CGW.dispatcher", "GET", f"/tasks/{sign}/draft").status_code == 404
    late = api.call("CGW.dispatcher", "PUT", f"/tasks/{sign}/draft", {"data": {"contact": "x"}})
    assert late.status_code == 409
