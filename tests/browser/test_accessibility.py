"""axe-core on every role's main pages (WCAG 2.1 AA, as GB/T 37668 asks): no serious or critical violation.

On a phone every role's pages are checked by the phone walk (tests/browser/test_phone.py), which opens
them anyway; here the login page on both sizes, two roles on a desktop, and work by keyboard.
"""
from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.axe import violations
from tests.browser.conftest import LAYOUT_ONLY, Live
from tests.browser.test_phone import LATE, PHONE, blow_long_whistle, main_pages

pytestmark = pytest.mark.browser


def check(page: Any, url: str) -> list[str]:
    """The blocking findings on ``url``, each prefixed by the path, with the menu open on phones."""
    page.goto(url)
    # Charts and htmx fragments arrive after "load"; judging a half-drawn page made one run flaky.
    page.wait_for_load_state("networkidle")
    toggle = page.locator("button.menu-toggle")
    if toggle.count() and toggle.is_visible():
        toggle.click()  # the open menu's colours are checked too
    return [f"{url}: {line}" for line in violations(page)]


@pytest.mark.parametrize("live", LAYOUT_ONLY, indirect=True)
@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, PHONE], ids=["desktop", "phone"])
def test_the_login_page_passes_axe(browser: Any, live: Live, viewport: dict[str, int]) -> None:
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    try:
        page = context.new_page()
        assert check(page, f"{live.base}/login") == []
    finally:
        context.close()


@pytest.mark.parametrize("live", LAYOUT_ONLY, indirect=True)
# On a desktop the two roles whose menus reach the most pages (what a wide screen changes is the menu
# and the tables, the same markup for every role); every role's pages on a phone: test_phone.py.
@pytest.mark.parametrize("user", ["HP.officer", "admin"])
def test_main_pages_on_a_desktop_have_no_serious_axe_violation(page_as: Any, live: Live, user: str) -> None:
    case = blow_long_whistle(live)
    page = page_as(user)
    page.clock.set_fixed_time(LATE)
    found = []
    for _, path in main_pages(case)[user]:
        found += check(page, f"{live.base}{path}")
    assert found == [], "\n".join(found)


def test_claiming_a_task_and_signing_work_by_keyboard(page_as: Any, live: Live) -> None:
    case = blow_long_whistle(live)
    page = page_as("CGW.dispatcher")
    page.clock.set_fixed_time(LATE)
    page.goto(f"{live.base}/tasks?tab=department")
    claim = page.locator(f"#task-{case.task} button.claim")
    claim.focus()
    expect(claim).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(f"#task-{case.task} button.unclaim")).to_be_visible()
    # The task page's form: reach its submit button with Tab alone, and send it with Enter.
    page.goto(f"{live.base}/tasks/{case.task}")
    submit = page.locator("form[action$='/complete'] button[type=submit]").first  # 核验 has two
    for _ in range(80):
        page.keyboard.press("Tab")
        if submit.evaluate("node => node === document.activeElement"):
            break
    expect(submit).to_be_focused()
    with page.expect_request(lambda sent: sent.method == "POST" and sent.url.endswith(f"/tasks/{case.task}/complete")):
        page.keyboard.press("Enter")
