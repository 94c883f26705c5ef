"""A field's error message in a real browser: it goes when the user fixes the value it spoke of."""
from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Live, screenshot
from tests.browser.test_inbox import MONDAY, at_monday, blow, fresh_title, open_task
from tests.http_client import request

pytestmark = pytest.mark.browser


def test_a_required_message_clears_once_the_field_is_filled(page_as: Any, live: Live) -> None:
    live.clock.set(MONDAY)
    case, tokens = blow(live, fresh_title("必填提示"))
    sign = open_task(live, tokens["CGW.dispatcher"], case, "Task_sign")
    signed = request(live.base, "POST", f"/api/v1/tasks/{sign['id']}/complete", token=tokens["CGW.dispatcher"],
                     body={"data": {}})
    assert signed.status == 200, signed.body
    report_in = open_task(live, tokens["CGW.staff"], case, "Task_report_in")
    staff = at_monday(page_as("CGW.staff"), live)
    staff.goto(f"{live.base}/tasks/{report_in['id']}")
    with staff.expect_navigation():  # the page comes back with the messages; its script must be running
        staff.click("button.complete")  # nothing typed: 到场人员 is required
    field = staff.locator("div[data-field=on_site_staff]")
    message = field.locator(".field-error")
    expect(message).to_have_text("必填项。")
    expect(message).to_be_visible()

    staff.fill("input[name=on_site_staff]", "张三、李四")
    expect(message).to_be_hidden()
    assert "has-error" not in (field.get_attribute("class") or "")
    screenshot(staff, f"form-message-cleared-{live.backend}")

    staff.fill("input[name=on_site_staff]", "")  # back to what was sent: the message speaks again
    expect(message).to_be_visible()
