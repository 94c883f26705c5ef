"""Signing in and out in a real browser; wrong passwords; language switch."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import PASSWORD, Live, screenshot

pytestmark = pytest.mark.browser


def test_login_and_logout(browser: object, live: Live) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(f"{live.base}/")
    assert page.url.endswith("/login")
    assert page.locator("h1").inner_text() == "登录"
    screenshot(page, f"login-{live.backend}")
    page.fill("input[name=username]", "CGW.staff")
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    assert page.locator("p.error").inner_text() == "用户名或密码错误。"
    assert page.input_value("input[name=username]") == "CGW.staff"  # what was typed is kept
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*/login).*$"))
    assert "城管委处置人员" in page.locator(".topbar").inner_text()
    page.click("text=退出登录")
    page.wait_for_url(re.compile(r".*/login$"))
    page.goto(f"{live.base}/notifications")
    assert "/login" in page.url  # signed out for real
    context.close()


def test_switching_to_english_translates_the_chrome(page_as: object, live: Live) -> None:
    page = page_as("HP.officer")  # type: ignore[operator]
    page.click("text=English")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Sign out" in page.locator(".topbar").inner_text()
    page.click("text=中文")
    assert "退出登录" in page.locator(".topbar").inner_text()
