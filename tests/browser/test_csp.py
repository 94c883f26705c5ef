"""The main pages load under the Content-Security-Policy with no violation, and their scripts still work."""
from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, Live
from tests.http_client import request
from tests.support import SHANGHAI, WHISTLE_DATA

pytestmark = pytest.mark.browser

MONDAY = datetime(2026, 9, 28, 9, 0, tzinfo=SHANGHAI)
# Registered before any page script runs: every violation the browser reports, in words.
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " +
                    (e.sourceFile || location.pathname) + ":" + e.lineNumber);
});
"""


@pytest.fixture(autouse=True)
def keep_the_clock(live: Live) -> Iterator[None]:
    """Leave the session-wide server's clock as this test found it."""
    before = live.clock.path.read_text()
    yield
    live.clock.path.write_text(before)


class Watch:
    """CSP violations (from the page's event and the console) and script errors of one page."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.console: list[str] = []
        self.errors: list[str] = []
        page.add_init_script(LISTEN)
        page.on("console", lambda message: self.console.append(message.text)
                if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text else None)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def goto(self, url: str) -> Any:
        """Open ``url``; the response must carry the policy."""
        response = self.page.goto(url)
        assert "script-src 'self'" in (response.headers.get("content-security-policy") or ""), url
        return response

    def assert_clean(self, where: str) -> None:
        """No violation and no script error so far."""
        reported = self.page.evaluate("window.__csp || []")
        assert reported == [] and self.console == [], f"{where}: CSP violations {reported} {self.console}"
        assert self.errors == [], f"{where}: script errors {self.errors}"


def tokens(live: Live, *users: str) -> dict[str, str]:
    """Fresh API tokens of ``users``."""
    lines = live.whistle("user", "token", *users).splitlines()
    if len(users) == 1:
        return {users[0]: lines[0].strip()}
    return dict(line.split(" ", 1) for line in lines if line)


def blow(live: Live, token: str, title: str) -> int:
    """A whistle of 和平街道 summoning CGW, over the API; its case id."""
    reply = request(live.base, "POST", "/api/v1/instances", token=token, body={
        "process": "whistle", "data": {**WHISTLE_DATA, "title": title, "departments": ["CGW"]}})
    assert reply.status == 201, reply.body
    return int(reply.body["id"])


def test_the_login_page_has_no_violation_and_signs_in(browser: Any, live: Live) -> None:
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        watch = Watch(page)
        watch.goto(f"{live.base}/login")
        page.fill("input[name=username]", "CGW.staff")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"^(?!.*/login).*$"))
        # htmx ran: the bell's counter was fetched by the script, not written by the server.
        page.wait_for_function("document.querySelector('a.bell').getAttribute('class').includes('htmx-')"
                               " || document.querySelector('a.bell').textContent.trim().length > 0")
        watch.assert_clean("login")
    finally:
        context.close()


def test_staff_pages_work_under_the_policy(page_as: Any, live: Live) -> None:
    live.clock.set(MONDAY)
    title = f"内容安全策略{secrets.randbelow(10**8):08d}"
    found = tokens(live, "HP.officer", "CGW.dispatcher")
    case = blow(live, found["HP.officer"], title)
    page = page_as("CGW.dispatcher")
    watch = Watch(page)
    watch.goto(f"{live.base}/tasks?tab=department&q={title}")
    row = page.locator("tr.task-row", has_text=title)
    expect(row).to_have_count(1)
    page.evaluate("window.samePage = true")
    with page.expect_response(lambda response: "/claim" in response.url):
        row.locator("button.claim").click()  # htmx swaps the row in place
    expect(row.locator("button.unclaim")).to_be_visible()
    assert page.evaluate("window.samePage")
    watch.assert_clean("inbox claim")

    task_id = (row.get_attribute("id") or "").removeprefix("task-")
    watch.goto(f"{live.base}/tasks/{task_id}")
    expect(page.locator("button.complete").first).to_be_visible()  # 签收 and 退单 both complete the step
    watch.assert_clean("task page")

    watch.goto(f"{live.base}/cases/{case}")
    page.wait_for_selector("#case-diagram[data-ready=true]")
    assert page.locator("#case-diagram svg g.djs-element").count() > 5
    watch.assert_clean("case page")


def test_the_street_whistle_form_works_under_the_policy(page_as: Any, live: Live) -> None:
    live.clock.set(MONDAY)
    page = page_as("HP.officer")
    watch = Watch(page)
    watch.goto(f"{live.base}/whistles/new")
    page.select_option("select[name=whistle_type]", "enforcement")
    with page.expect_response(lambda response: "/whistles/suggestion" in response.url):
        page.select_option("select[name=category]", "WFJS")  # htmx fetches the suggested departments
    expect(page.locator("#departments-field input[name=departments]:checked")).not_to_have_count(0)
    watch.assert_clean("street whistle form")


def test_supervisor_board_and_charts_render_under_the_policy(page_as: Any, live: Live) -> None:
    live.clock.set(MONDAY)
    blow(live, tokens(live, "HP.officer")["HP.officer"], f"超期图表{secrets.randbelow(10**8):08d}")
    live.clock.set(MONDAY.replace(hour=11, minute=30))  # signing was due at 11:00: the rungs fire
    live.whistle("sweep")
    page = page_as("DCS.supervisor")
    watch = Watch(page)
    watch.goto(f"{live.base}/supervise")
    for name in ("departments", "levels", "trend"):
        page.wait_for_selector(f'[data-chart="{name}"][data-ready="1"]')
        assert page.locator(f'[data-chart="{name}"] canvas').count() == 1
    page.locator('[data-chart="levels"] canvas').hover()  # tooltips are positioned by script
    watch.assert_clean("supervisor board")


def test_designer_viewer_and_modeler_work_under_the_policy(page_as: Any, live: Live) -> None:
    page = page_as("designer")
    watch = Watch(page)
    watch.goto(f"{live.base}/design/whistle")
    page.wait_for_selector("#design-viewer[data-counted=true]")
    assert page.locator("#design-viewer svg g.djs-element").count() > 5
    versions = page.locator("select[name=version] option").count()
    if versions > 1:  # the version picker submits on change (was an inline onchange handler)
        with page.expect_navigation():
            page.select_option("select[name=version]", index=versions - 1)
        assert "version=" in page.url
    watch.assert_clean("designer viewer")

    watch.goto(f"{live.base}/design/whistle/edit")
    page.wait_for_selector("#design-modeler[data-ready=true]")
    page.click("#design-validate")
    page.locator("#design-status").wait_for()
    page.locator("#design-modeler .djs-palette").wait_for()
    watch.assert_clean("designer modeler")
