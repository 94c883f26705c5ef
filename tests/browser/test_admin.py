"""User administration in a real browser on a 390 px phone: an admin adds a user with a seat; the user signs in."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import Live, screenshot
from tests.browser.test_phone import PHONE, assert_fits

pytestmark = pytest.mark.browser


def test_an_admin_adds_a_user_who_signs_in_and_sees_the_inbox(browser: object, page_as: object, live: Live) -> None:
    username = f"br.newcomer.{live.backend}"  # users outlive a test on the live server: one per backend
    admin = page_as("admin")  # type: ignore[operator]
    admin.set_viewport_size(PHONE)
    admin.goto(f"{live.base}/admin/users")
    assert_fits(admin, "admin-users")
    admin.click("text=添加用户")
    admin.fill("input[name=username]", username)
    admin.fill("input[name=display_name]", "新来的处置人员")
    admin.select_option("select[name=department]", "CGW")
    # Only the roles that fit a district department stay on offer (admin.js); the server checks it anyway.
    assert admin.locator("select[name=role] option[value=street_officer]").is_disabled()
    assert admin.locator("select[name=role] option[value=dept_staff]").is_enabled()
    admin.select_option("select[name=role]", "dept_staff")
    assert_fits(admin, "admin-new-user")
    admin.click("button[type=submit]:has-text('添加')")
    secret = admin.locator("code.secret")
    password = secret.inner_text().strip()
    assert re.fullmatch(r"[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}", password), password
    screenshot(admin, f"admin-password-once-{live.backend}")
    admin.click("text=已记下，返回用户页")
    assert admin.locator("tr.seat[data-seat='CGW:dept_staff']").is_visible()
    assert password not in admin.content()  # shown once: the user page does not repeat it
    assert_fits(admin, "admin-user")
    screenshot(admin, f"admin-user-{live.backend}")

    context = browser.new_context(viewport=PHONE, locale="zh-CN")  # type: ignore[attr-defined]
    try:
        newcomer = context.new_page()
        newcomer.set_default_timeout(15_000)
        newcomer.goto(f"{live.base}/login")
        newcomer.fill("input[name=username]", username)
        newcomer.fill("input[name=password]", password)
        newcomer.click("button[type=submit]")
        newcomer.wait_for_url(re.compile(r".*/tasks.*"))
        assert newcomer.locator("h1").first.inner_text() == "任务"
        assert "新来的处置人员" in newcomer.locator(".topbar").inner_text()
        assert_fits(newcomer, "newcomer-inbox")
    finally:
        context.close()
