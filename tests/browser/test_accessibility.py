"""axe-core on every role's main pages (WCAG 2.1 AA, as GB/T 37668 asks): no serious or critical violation.

axe-core is vendored under ``tests/browser/vendor/`` (MPL-2.0, its LICENSE beside it), so the check
runs offline. It is injected through the DevTools protocol, which the pages' strict CSP does not block.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LAYOUT_ONLY, Live
from tests.browser.test_phone import LATE, PHONE, blow_long_whistle, main_pages

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
# Rules outside the WCAG tags (axe calls them best practice) that the issue saw fail: any finding counts.
ALSO = ["empty-table-header"]


def violations(page: Any) -> list[str]:
    """axe-core's serious and critical findings on the page as it stands, one line per rule and node."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    script = ("only => axe.run(document, {runOnly: only}).then(r => r.violations.map(v => ({id: v.id,"
              " impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)})))")
    found = [v for v in page.evaluate(script, {"type": "tag", "values": TAGS}) if v["impact"] in BLOCKING]
    found += page.evaluate(script, {"type": "rule", "values": ALSO})
    return [f"{v['id']} ({v['impact']}) {node}" for v in found for node in v["nodes"]]


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
# Phones first: every role's pages on a phone; on a desktop the two roles whose menus reach the most
# pages (what a wide screen changes is the menu and the tables, the same markup for every role).
@pytest.mark.parametrize(("user", "viewport"), [
    ("HP.officer", "phone"), ("CGW.dispatcher", "phone"), ("DCS.supervisor", "phone"), ("designer", "phone"),
    ("admin", "phone"), ("HP.officer", "desktop"), ("admin", "desktop")])
def test_main_pages_have_no_serious_axe_violation(page_as: Any, live: Live, user: str, viewport: str) -> None:
    case = blow_long_whistle(live)
    page = page_as(user)
    if viewport == "phone":
        page.set_viewport_size(PHONE)
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
