"""Operating what designers deploy, in a real browser: a designer breaks the whistle (deletes 部门办结), cannot
deploy it, fixes it and deploys v2; an administrator migrates a running v1 case to v2 after a dry run; the case
goes on (its next task completes on v2). The repair and migration pages at 390 px too."""
from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Live, screenshot
from tests.http_client import request
from tests.support import WHISTLE_ANSWERS, WHISTLE_DATA

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DELETE_THE_END = """() => {
  const modeler = window.whistleDesign.modeler;
  const registry = modeler.get("elementRegistry"), modeling = modeler.get("modeling");
  modeling.removeElements([registry.get("End_department")]);
}"""
UNDO = "() => window.whistleDesign.modeler.get('commandStack').undo()"
RENAME_HANDLE = """() => {
  const modeler = window.whistleDesign.modeler;
  modeler.get("modeling").updateLabel(modeler.get("elementRegistry").get("Task_handle"), "处置并反馈");
}"""


def api(live: Live, username: str, method: str, path: str, body: Any = None) -> Any:
    """One API call as ``username``; returns the reply."""
    token = live.whistle("user", "token", username).strip()
    return request(live.base, method, path, token=token, body=body)


def newest_version(live: Live) -> int:
    """The newest deployed version of whistle."""
    reply = api(live, "designer", "GET", "/api/v1/definitions/whistle")
    assert reply.status == 200, reply.body
    return int(reply.body["version"])


def assert_fits(page: Any, name: str) -> None:
    """Nothing scrolls sideways on the phone."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: the page is {width} px wide on a {PHONE['width']} px phone"


def test_a_broken_diagram_is_refused_the_fix_deployed_and_a_running_case_migrated(page_as: Any, live: Live) -> None:
    before = newest_version(live)
    started = api(live, "HP.officer", "POST", "/api/v1/instances",
                  {"process": "whistle", "data": {**WHISTLE_DATA, "departments": ["CGW"]}})
    assert started.status == 201, started.body
    case = int(started.body["id"])

    # The designer deletes the end event 部门办结: 校验 names the problem and 部署 is refused.
    designer = page_as("designer")
    designer.goto(f"{live.base}/design/whistle/edit")
    designer.wait_for_selector("#design-modeler[data-ready=true]")
    designer.evaluate(DELETE_THE_END)
    designer.click("#design-validate")
    designer.locator('#design-problems li[data-severity="error"]').first.wait_for()
    assert designer.locator("#design-status.flash-error").count() == 1
    screenshot(designer, f"operate-broken-{live.backend}")
    assert designer.get_attribute("#design-deploy", "aria-disabled") == "true"
    designer.click("#design-deploy", force=True)  # clicked anyway: it says why, and nothing is deployed
    assert "未部署" in designer.locator("#design-status").inner_text()
    assert newest_version(live) == before

    # Fixed (the deletion undone) and changed (a clearer task name): it validates and deploys as v2.
    designer.evaluate(UNDO)
    designer.evaluate(RENAME_HANDLE)
    designer.click("#design-validate")
    designer.wait_for_function("() => !document.querySelector('#design-status').className.includes('flash-info')")
    assert designer.locator('#design-problems li[data-severity="error"]').count() == 0
    designer.click("#design-deploy")
    designer.locator("#design-modeler[data-deployed-version]").wait_for(state="attached")
    assert newest_version(live) == before + 1

    # The administrator plans the migration of the running v1 case, reads the dry run, migrates it.
    admin = page_as("admin")
    admin.goto(f"{live.base}/operate/migrations")
    admin.click(f'a[href*="key=whistle"][href*="from={before}"]')
    row = admin.locator(f'table.migration-plan tr[data-case="{case}"]')
    assert "可迁移" in row.inner_text() and "Task_sign" in row.inner_text()
    screenshot(admin, f"operate-dry-run-{live.backend}")
    admin.set_viewport_size(PHONE)
    assert_fits(admin, "dry run")
    screenshot(admin, f"operate-dry-run-phone-{live.backend}")
    admin.set_viewport_size({"width": 1280, "height": 800})
    admin.fill("#migrate-form textarea[name=reason]", "修正后的 2 版：处置环节改名")
    admin.click("#migrate-form button[type=submit]")
    admin.locator("#plan .flash-success").wait_for()
    assert "已迁移 1 件" in admin.locator("#plan .flash-success").inner_text()
    assert "已迁移" in admin.locator(f'table.migration-plan tr[data-case="{case}"]').inner_text()

    # The case goes on, on v2: the department signs, and its next task appears.
    shown = api(live, "HP.officer", "GET", f"/api/v1/instances/{case}")
    assert shown.body["version"] == before + 1
    sign = next(t for t in shown.body["open_tasks"] if t["element_id"] == "Task_sign")
    done = api(live, "CGW.dispatcher", "POST", f"/api/v1/tasks/{sign['id']}/complete",
               {"data": WHISTLE_ANSWERS["Task_sign"]})
    assert done.status == 200, done.body
    after = api(live, "HP.officer", "GET", f"/api/v1/instances/{case}").body
    assert "Task_report_in" in [t["element_id"] for t in after["open_tasks"]]

    # The history says who migrated it and why; the repair page fits a phone.
    admin.goto(f"{live.base}/cases/{case}")
    assert "修正后的 2 版" in admin.locator(".timeline").inner_text()
    admin.goto(f"{live.base}/operate/cases/{case}")
    admin.set_viewport_size(PHONE)
    assert_fits(admin, "repair page")
    screenshot(admin, f"operate-repair-phone-{live.backend}")
