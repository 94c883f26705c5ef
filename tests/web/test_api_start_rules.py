"""The whistle's business rules hold on every entry point: the API refuses what the page refuses.

Each attack once let ``POST /api/v1/instances`` start a case the web form would refuse,
after which the wrongly summoned unit could read it.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from engine import attachments
from engine.database import Database
from engine.models import Attachment, HumanTask, ProcessInstance
from tests.support import WHISTLE_DATA, Flow
from tests.web.conftest import Api, Pages
from tests.web.test_pages_street import FORM, png

PDF = b"%PDF-1.4\n%%EOF"


@pytest.fixture
def upload(flow: Flow, tmp_path: Path) -> Callable[..., int]:
    """``upload(username, data, name)``: a pending upload, stored as the page stores it."""

    def store(username: str, data: bytes = PDF, name: str = "现场.pdf") -> int:
        with flow.db.transaction() as session:
            return attachments.store(session, tmp_path / "blobs", flow.actor(username), name, None, data,
                                     flow.clock.now()).id

    return store


def _counts(db: Database) -> tuple[int, int, dict[int, int | None]]:
    """Cases, tasks, and which case each upload belongs to."""
    with db.transaction(write=False) as session:
        cases = session.execute(select(func.count()).select_from(ProcessInstance)).scalar_one()
        tasks = session.execute(select(func.count()).select_from(HumanTask)).scalar_one()
        held = {i: c for i, c in session.execute(select(Attachment.id, Attachment.instance_id))}
    return cases, tasks, held


def _start(api: Api, **changes: Any) -> Any:
    return api.call("HP.officer", "POST", "/instances", {"process": "whistle", "data": {**WHISTLE_DATA, **changes}})


def _fields(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.get_json()
    return {e["field"]: e["code"] for e in response.get_json()["errors"]}


@pytest.mark.parametrize("departments", [["GHZY", "XH"], ["GHZY", "DCS"], ["JSJB"]],
                         ids=["a street", "the supervision unit", "the dispatch centre"])
def test_the_api_refuses_to_summon_anything_but_district_departments(api: Api, flow: Flow, db: Database,
                                                                       departments: list[str]) -> None:
    flow.deploy()
    before = _counts(db)
    assert _fields(_start(api, departments=departments)) == {"departments": "not_summonable"}
    assert _counts(db) == before


def test_the_api_refuses_a_community_of_another_street(api: Api, flow: Flow, db: Database) -> None:
    flow.deploy()
    before = _counts(db)
    assert _fields(_start(api, community="新华里社区")) == {"community": "enum"}  # a community of XH
    assert _counts(db) == before


def test_the_api_refuses_uploads_of_another_case_or_another_person(api: Api, flow: Flow, db: Database,
        upload: Callable[..., int]) -> None:
    flow.deploy()
    mine = upload("HP.officer")
    first = _start(api, attachments=[str(mine)])
    assert first.status_code == 201, first.get_json()
    theirs = upload("XH.officer", png(), "别人的.png")
    before = _counts(db)
    assert before[2] == {mine: first.get_json()["id"], theirs: None}  # the API gives its uploads to the case
    assert _fields(_start(api, attachments=[str(mine)])) == {"attachments[0]": "unknown_attachment"}
    assert _fields(_start(api, attachments=[str(theirs)])) == {"attachments[0]": "unknown_attachment"}
    assert _counts(db) == before


def test_one_bad_field_among_good_ones_starts_nothing_and_keeps_the_uploads_pending(
        api: Api, flow: Flow, db: Database, upload: Callable[..., int]) -> None:
    flow.deploy()
    mine = upload("HP.officer")
    before = _counts(db)
    response = _start(api, attachments=[str(mine)], departments=["GHZY", "XH"], community="新华里社区")
    assert _fields(response) == {"departments": "not_summonable", "community": "enum"}
    assert _counts(db) == before and before[2] == {mine: None}


def test_the_page_refuses_the_same_with_the_same_messages(pages: Pages, api: Api, flow: Flow, db: Database,
                                                          upload: Callable[..., int]) -> None:
    flow.deploy()
    theirs = upload("XH.officer", png(), "别人的.png")
    before = _counts(db)
    officer = pages.as_("HP.officer")
    response = officer.post("/whistles/new", data={**FORM, "departments": ["GHZY", "XH"], "community": "新华里社区",
                                                   "attachments__kept": [str(theirs)]})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "只能召集区职能部门：XH" in html
    assert f"附件不存在或不是您上传的：{theirs}" in html
    api_errors = _start(api, departments=["GHZY", "XH"], community="新华里社区",
                        attachments=[str(theirs)]).get_json()["errors"]
    assert {e["field"] for e in api_errors} == {"departments", "community", "attachments[0]"}
    assert _counts(db) == before
