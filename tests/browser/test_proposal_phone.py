"""议事协商 on a 390×844 phone: a resident of 和平里社区 signs in, reads a proposal, votes once and comments;
the tally and the comment are public and the page fits the phone."""
from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import Live, screenshot
from tests.browser.test_dispatch_phone import tokens
from tests.browser.test_phone import assert_fits, on_phone
from tests.http_client import request

pytestmark = pytest.mark.browser
PROPOSAL = {"title": "垃圾分类点位调整", "content": "拟把 5 号楼旁的垃圾分类点移到小区东门，远离住户窗户。",
            "comment_days": 7}


def test_a_resident_votes_and_comments_on_a_phone(page_as: Any, live: Live) -> None:
    keys = tokens(live, "HP-01.committee", "SFQ-CY.clerk")  # two names: the command prints name and token
    started = request(live.base, "POST", "/api/v1/instances", token=keys["HP-01.committee"],
                      body={"process": "yishi", "data": PROPOSAL})
    assert started.status == 201, started.body
    case = started.body["id"]
    page = on_phone(page_as("13800000001"))
    page.goto(f"{live.base}/public/proposals")
    page.click(f"[data-proposal='{case}'] a")
    page.wait_for_url(re.compile(rf".*/public/proposals/{case}$"))
    assert_fits(page, "proposal")
    page.check("[data-vote-form] input[name=choice][value=support]")
    page.click("[data-vote-form] button[type=submit]")
    page.wait_for_url(re.compile(rf".*/public/proposals/{case}$"))
    assert page.locator("[data-tally] [data-choice=support] strong").inner_text() == "1"
    assert page.locator("[data-my-vote=support]").count() == 1 and page.locator("[data-vote-form]").count() == 0
    page.fill("[data-comment-form] textarea[name=body]", "同意，东门那边空间更大")
    page.click("[data-comment-form] button[type=submit]")
    page.wait_for_url(re.compile(rf".*/public/proposals/{case}$"))
    assert "同意，东门那边空间更大" in page.locator("ol.comments").inner_text()
    assert_fits(page, "proposal after voting")
    screenshot(page, f"phone-proposal-{live.backend}")
