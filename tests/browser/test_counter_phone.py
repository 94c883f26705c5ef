"""线上线下融合 on a 390×844 phone: a window clerk takes a request in for a resident and lands on the receipt,
which fits the phone; printed, it is the slip alone (no menu, no buttons) with the tracking number."""
from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LAYOUT_ONLY, Live, screenshot
from tests.browser.test_phone import assert_fits, on_phone

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("live", LAYOUT_ONLY, indirect=True)  # what the page draws; the web test covers both databases
def test_a_clerk_takes_a_request_in_and_prints_the_receipt_on_a_phone(page_as: Any, live: Live) -> None:
    page = on_phone(page_as("SFQ-ZW.clerk"))
    page.goto(f"{live.base}/public/counter")
    assert_fits(page, "requests taken in")
    page.click("main a.button.primary")  # 为居民代办诉求
    page.wait_for_url(re.compile(r".*/public/counter/new$"))
    page.check("input[name=came_by][value=window]")
    page.select_option("select[name=request_kind]", "help")
    page.select_option("select[name=category]", "SDGD")
    page.select_option("select[name=street]", "HP")
    page.fill("[name=community]", "和平里社区")
    page.fill("[name=address]", "和平里九区 2 号楼")
    page.fill("[name=description]", "老人家中暖气不热，不会用手机，到窗口反映。")
    page.fill("[name=requester_name]", "李大爷")
    page.fill("[name=requester_phone]", "13800138000")
    assert_fits(page, "form for a resident")
    screenshot(page, f"phone-counter-form-{live.backend}")
    page.click("[data-counter-form] button[type=submit]")
    # The server's first 一网通办 start reads the version's specs and tables: give it time on a busy machine.
    page.wait_for_url(re.compile(r".*/public/counter/receipt/[2-9A-Z]{10}$"), timeout=45_000)
    code = page.locator("[data-code]").get_attribute("data-code")
    assert code and page.url.endswith(code)
    assert page.locator("[data-phone]").inner_text() == "138****8000"
    assert "李大爷" not in page.content()
    expect(page.locator("[data-print]")).to_be_visible()  # print.js shows it
    assert_fits(page, "receipt")
    screenshot(page, f"phone-counter-receipt-{live.backend}")

    page.emulate_media(media="print")
    expect(page.locator("[data-code]")).to_be_visible()
    for hidden in ("[data-print]", "header.topbar", "button.menu-toggle", "nav.mainnav", ".flash"):
        expect(page.locator(hidden).first).to_be_hidden()
    screenshot(page, f"phone-counter-receipt-print-{live.backend}")
