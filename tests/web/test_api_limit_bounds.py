"""Extension requests over the API: a limit longer than a year is a 422 naming the field, never a 500."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from escalation.models import ExtensionRequest
from tests.support import Flow
from tests.web.conftest import Api, Pages
from tests.web.test_api_supervision import late_whistle  # noqa: F401 - the fixture

HUGE = "9" * 20


@pytest.mark.parametrize("extension,maximum", [(f"{HUGE}wd", "366wd"), ("3000000wd", "366wd"), ("9999999h", "8784h")])
def test_an_unbounded_extension_request_is_422_naming_the_field(api: Api, late_whistle: dict,  # noqa: F811
                                                                extension: str, maximum: str) -> None:
    sign = api.call("CGW.dispatcher", "GET", "/tasks").get_json()["items"][0]
    response = api.call("CGW.dispatcher", "POST", f"/tasks/{sign['id']}/extensions",
                        {"clock": "complete", "extension": extension, "reason": "现场人员不足"})
    assert response.status_code == 422, response.get_data(as_text=True)
    assert [(e["field"], e["code"]) for e in response.get_json()["errors"]] == [("extension", "maximum")]
    chinese = api.call("CGW.dispatcher", "POST", f"/tasks/{sign['id']}/extensions",
                       {"clock": "complete", "extension": extension, "reason": "现场人员不足"},
                       headers={"Accept-Language": "zh-CN"}).get_json()["errors"][0]["message"]
    assert "一年" in chinese and maximum in chinese


def test_an_extension_is_stored_as_written_normally(api: Api, late_whistle: dict) -> None:  # noqa: F811
    sign = api.call("CGW.dispatcher", "GET", "/tasks").get_json()["items"][0]
    spaced = "2" + " " * 20 + "wd"  # longer than the column, yet a fine limit
    response = api.call("CGW.dispatcher", "POST", f"/tasks/{sign['id']}/extensions",
                        {"clock": "complete", "extension": spaced, "reason": "现场人员不足"})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["extension"] == "2wd"


def test_approving_an_unbounded_request_stored_earlier_is_422_and_moves_nothing(api: Api,
                                                                              late_whistle: dict) -> None:  # noqa: F811
    sign = api.call("CGW.dispatcher", "GET", "/tasks").get_json()["items"][0]
    asked = api.call("CGW.dispatcher", "POST", f"/tasks/{sign['id']}/extensions",
                     {"clock": "complete", "extension": "2wd", "reason": "现场人员不足"}).get_json()
    with api.db.transaction() as session:  # as a request accepted before limits were bounded would be
        row = session.execute(select(ExtensionRequest).where(ExtensionRequest.id == asked["id"])).scalar_one()
        row.extension = "3000000wd"
    before = api.call("CGW.dispatcher", "GET", f"/tasks/{sign['id']}/deadlines").get_json()["items"]
    response = api.call("CGW.head", "POST", f"/extensions/{asked['id']}/approve", {"note": "同意"})
    assert response.status_code == 422, response.get_data(as_text=True)
    assert [e["field"] for e in response.get_json()["errors"]] == ["extension"]
    assert api.call("CGW.dispatcher", "GET", f"/tasks/{sign['id']}/deadlines").get_json()["items"] == before
    assert [p["id"] for p in api.call("CGW.head", "GET", "/extensions").get_json()["items"]] == [asked["id"]]


def test_the_task_page_refuses_an_unbounded_extension_in_chinese(pages: Pages, flow: Flow) -> None:
    flow.deploy_policy()
    case = flow.blow(departments=["CGW"])
    sign = flow.task(case, "Task_sign", "CGW")
    response = pages.as_("CGW.dispatcher").post(f"/tasks/{sign.id}/extensions", {
        "clock": "complete", "extension": HUGE + "wd", "reason": "现场人员不足"})
    assert response.status_code == 422
    assert "时限最长为 366wd（一年）" in response.get_data(as_text=True)
    with flow.db.transaction(write=False) as session:
        assert session.execute(select(ExtensionRequest.id)).first() is None
