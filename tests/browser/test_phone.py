"""Every role's main pages on a 390×844 phone: nothing scrolls sideways, the main menu opens, and axe-core
finds no serious or critical WCAG 2.1 AA violation with the menu open (tests/browser/axe.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.axe import violations
from tests.browser.conftest import LAYOUT_ONLY, Live, screenshot
from tests.http_client import request
from tests.support import SHANGHAI

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI)  # sign within 2 working hours: by 11:00
LATE = datetime(2026, 11, 16, 16, 30, tzinfo=SHANGHAI)  # every sign rung has fired
# What people paste: a URL or a number run with no place to break, which once pushed pages to 569 px.
UNBROKEN = "https://example.invalid/" + "x" * 120


@dataclass(frozen=True)
class Case:
    """The whistle every page shows: its case id and the CGW sign task on it."""

    id: int
    task: int


def blow_long_whistle(live: Live) -> Case:
    """A late whistle of 和平街道 to CGW whose title, address and description are long unbroken strings."""
    live.clock.set(MONDAY)
    lines = live.whistle("user", "token", "HP.officer", "CGW.dispatcher").splitlines()
    tokens = dict(line.split(" ", 1) for line in lines if line)
    started = request(live.base, "POST", "/api/v1/instances", token=tokens["HP.officer"], body={
        "process": "whistle", "data": {
            "whistle_type": "enforcement", "category": "WFJS", "title": "楼顶违建" + UNBROKEN[:60],
            "community": "和平里社区", "address": "和平里七区" + UNBROKEN,
            "description": "居民反映楼顶违建：" + UNBROKEN, "departments": ["CGW"]}})
    assert started.status == 201, started.body
    case = int(started.body["id"])
    live.clock.set(LATE)
    live.whistle("sweep")  # the overdue board and its charts have a row to lay out
    queue = request(live.base, "GET", "/api/v1/tasks?scope=department&status=open&limit=200",
                    token=tokens["CGW.dispatcher"])
    tasks = [t["id"] for t in queue.body["items"] if t["instance_id"] == case]
    assert len(tasks) == 1, queue.body
    return Case(case, int(tasks[0]))


def main_pages(case: Case) -> dict[str, list[tuple[str, str]]]:
    """Each role's main pages, as (screenshot name, path), by the user who opens them."""
    return {
        "HP.officer": [("street-new", "/whistles/new"), ("street-index", "/whistles"),
                       ("street-board", f"/whistles/{case.id}"), ("case", f"/cases/{case.id}")],
        "CGW.dispatcher": [("inbox-department", "/tasks?tab=department"), ("inbox-mine", "/tasks?tab=mine"),
                           ("task", f"/tasks/{case.task}")],
        "DCS.supervisor": [("supervise-board", "/supervise"), ("supervise-scoreboard", "/supervise/departments")],
        "designer": [("design-list", "/design"), ("design-process", "/design/whistle"),
                     ("incidents", "/operate/incidents")],
        "admin": [("admin-users", "/admin/users"), ("admin-user", "/admin/users/CGW.dispatcher"),
                  ("admin-new-user", "/admin/new-user")],
    }


def on_phone(page: Any) -> Any:
    """The signed-in page resized to a 390×844 phone."""
    page.set_viewport_size(PHONE)
    return page


def assert_fits(page: Any, name: str) -> None:
    """The document is no wider than the phone, so nothing needs a sideways scroll."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: the page is {width} px wide on a {PHONE['width']} px phone"


def assert_menu_reachable(page: Any, name: str) -> None:
    """The menu button opens the main menu; every entry is on screen, and the first one opens its page."""
    toggle = page.locator("button.menu-toggle")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    links = page.locator("nav.mainnav a")
    assert links.count() > 0, name
    expect(links.first).to_be_hidden()  # collapsed until asked for: the bar keeps its room
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    for index in range(links.count()):
        link = links.nth(index)
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box is not None and box["width"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], \
            f"{name}: menu entry {index} is not fully on screen: {box}"
    assert_fits(page, f"{name} (menu open)")


@pytest.mark.parametrize("live", LAYOUT_ONLY, indirect=True)
@pytest.mark.parametrize("user", ["HP.officer", "CGW.dispatcher", "DCS.supervisor", "designer", "admin"])
def test_main_pages_fit_a_phone_open_the_menu_and_pass_axe(page_as: Any, live: Live, user: str) -> None:
    case = blow_long_whistle(live)
    page = on_phone(page_as(user))
    page.clock.set_fixed_time(LATE)
    found: list[str] = []
    for name, path in main_pages(case)[user]:
        page.goto(f"{live.base}{path}")
        page.wait_for_load_state("networkidle")  # charts and htmx fragments arrive after "load"
        assert_fits(page, name)
        for button in page.locator("main button:visible").all():  # e.g. 认领 once sat off the right edge
            box = button.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], \
                f"{name}: a button is off screen: {button.inner_text()!r} at {box}"
        # A number or a stage in a card means nothing without its column's name: cards print it above the value.
        unnamed = page.evaluate("""() => [...document.querySelectorAll('.table-wrap td.num, .table-wrap td.stage')]
            .filter(td => td.offsetParent !== null && getComputedStyle(td, '::before').content === 'none')
            .map(td => td.outerHTML.slice(0, 80))""")
        assert unnamed == [], f"{name}: cells without a label on a phone card: {unnamed}"
        screenshot(page, f"phone-{name}-{live.backend}")
        assert_menu_reachable(page, name)
        found += [f"{path}: {line}" for line in violations(page)]  # the open menu's colours are judged too
    assert found == [], "\n".join(found)
    # The menu's entries really open their pages: the last one, from the last page's open menu.
    target = page.locator("nav.mainnav a").last
    href = target.get_attribute("href")
    target.click()
    page.wait_for_url(f"{live.base}{href}")


def test_the_menu_button_works_by_keyboard(page_as: Any, live: Live) -> None:
    page = on_phone(page_as("CGW.dispatcher"))
    page.goto(f"{live.base}/tasks?tab=department")
    toggle = page.locator("button.menu-toggle")
    page.keyboard.press("Tab")  # the menu button comes first after the brand link
    page.keyboard.press("Tab")
    expect(toggle).to_be_focused()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")
    first = page.locator("nav.mainnav a").first
    expect(first).to_be_focused()
    page.keyboard.press("Escape")  # closes and hands focus back to the button
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    expect(first).to_be_hidden()


def test_the_desktop_keeps_its_menu_open_without_a_button(page_as: Any, live: Live) -> None:
    page = page_as("HP.officer")
    page.goto(f"{live.base}/whistles")
    expect(page.locator("button.menu-toggle")).to_be_hidden()
    expect(page.locator("nav.mainnav a").first).to_be_visible()
