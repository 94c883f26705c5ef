"""表达诉求 on a 390×844 phone, signed out: a resident reports a problem with a photo, keeps the tracking number,
follows the request, reads the unit's reply and rates it; every public page fits the phone."""
from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import Live, screenshot
from tests.browser.test_dispatch_phone import tokens
from tests.browser.test_phone import PHONE, assert_fits
from tests.http_client import request

pytestmark = pytest.mark.browser
# A 1×1 PNG: the upload's type is sniffed from its bytes, so it must be a real image.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def work(live: Live, token: str, case: int, element: str, data: dict[str, Any]) -> None:
    """Complete the case's open task ``element`` over the API."""
    queue = request(live.base, "GET", f"/api/v1/tasks?scope=department&status=open&instance={case}", token=token)
    task = next(t["id"] for t in queue.body["items"] if t["element_id"] == element)
    done = request(live.base, "POST", f"/api/v1/tasks/{task}/complete", token=token, body={"data": data})
    assert done.status == 200, done.body


def test_a_resident_reports_follows_and_rates_on_a_phone(browser: Any, live: Live) -> None:
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live.base}/public")
        assert_fits(page, "public front page")
        page.click("text=我要反映")
        page.select_option("select[name=request_kind]", "complaint")
        page.select_option("select[name=category]", "SDGD")
        page.select_option("select[name=street]", "HP")
        page.fill("[name=community]", "和平里社区")
        page.fill("[name=address]", "和平里七区 5 号楼")
        page.fill("[name=description]", "楼里停水两天了，物业不回应。")
        page.fill("[name=requester_phone]", "13912345678")
        page.set_input_files("input[name=photos]", {"name": "水管.png", "mimeType": "image/png", "buffer": PNG})
        page.wait_for_function("() => document.querySelector('img.captcha').complete")  # it loads after the page
        assert page.locator("img.captcha").evaluate("img => img.naturalWidth") > 0  # the picture is drawn
        page.fill("[name=captcha]", "2468")
        assert_fits(page, "report form")
        screenshot(page, f"phone-public-report-{live.backend}")
        page.click("form.public-form button[type=submit]")
        page.wait_for_url(re.compile(r".*/public/demands/receipt$"), timeout=45_000)  # the first start is slow
        code = page.locator("[data-code]").get_attribute("data-code")
        assert code and re.fullmatch(r"[2-9A-Z]{10}", code)
        assert_fits(page, "receipt")

        keys = tokens(live, "SFQ-CY.dispatcher", "SWJ.caseworker")
        cases = request(live.base, "GET", "/api/v1/instances?process=ywtb", token=keys["SFQ-CY.dispatcher"])
        case = cases.body["items"][0]["id"]
        detail = request(live.base, "GET", f"/api/v1/instances/{case}", token=keys["SFQ-CY.dispatcher"]).body
        [photo] = detail["data"]["photos"]  # the photo came with it, for the staff to open
        opened = request(live.base, "GET", f"/api/v1/attachments/{photo}", token=keys["SFQ-CY.dispatcher"])
        assert opened.status == 200
        work(live, keys["SFQ-CY.dispatcher"], case, "Task_dispatch", {"handler": "SWJ"})
        work(live, keys["SWJ.caseworker"], case, "Task_sign", {"decision": "sign"})
        work(live, keys["SWJ.caseworker"], case, "Task_handle", {"contacted": True, "result": "已恢复供水"})

        page.goto(f"{live.base}/public/track")  # as a resident coming back another day
        page.fill("[name=code]", code)
        page.fill("[name=phone]", "139 1234 5678")
        page.click("form.public-form button[type=submit]")
        page.wait_for_url(re.compile(rf".*/public/demands/{code}$"))
        assert "已恢复供水" in page.locator("[data-reply]").inner_text()
        assert_fits(page, "progress")
        screenshot(page, f"phone-public-progress-{live.backend}")
        page.check("input[name=rating][value='4']")
        page.click("[data-rating-form] button[type=submit]")
        page.wait_for_url(re.compile(rf".*/public/demands/{code}$"))
        assert "感谢您的评价" in page.content() and page.locator("[data-status=completed]").count() == 1
    finally:
        context.close()
