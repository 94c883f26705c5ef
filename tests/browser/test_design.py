"""Process designers in a real browser: break the whistle model, see the problems pinned, fix, deploy;
live counts on the viewer; the case page's diagram."""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from tests.browser.conftest import Live, screenshot
from tests.http_client import request
from tests.support import SHANGHAI, WHISTLE_DATA

pytestmark = pytest.mark.browser

# An ordinary Monday morning (no holiday near): signing an enforcement whistle is due two working hours later.
MONDAY = datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI)

BREAK_THE_MODEL = """() => {
  const modeler = window.whistleDesign.modeler;
  const registry = modeler.get("elementRegistry"), modeling = modeler.get("modeling"), moddle = modeler.get("moddle");
  modeling.updateLabel(registry.get("Lane_dept_staff"), "清洁工");
  modeling.updateProperties(registry.get("Flow_to_rate"), {
    conditionExpression: moddle.create("bpmn:FormalExpression", {body: "__import__('os')"})});
}"""
SELECTED = "() => window.whistleDesign.modeler.get('selection').get().map(e => e.id)"


@pytest.fixture
def monday(live: Live) -> Iterator[datetime]:
    """The live server's clock on MONDAY for one test, then back to what it was."""
    before = live.clock.path.read_text()
    live.clock.set(MONDAY)
    yield MONDAY
    live.clock.path.write_text(before)


def newest_version(live: Live) -> int:
    """The newest deployed version of whistle, through the API."""
    token = live.whistle("user", "token", "designer").strip()
    reply = request(live.base, "GET", "/api/v1/definitions/whistle", token=token)
    assert reply.status == 200, reply.body
    return int(reply.body["version"])


def start_case(live: Live, departments: list[str]) -> int:
    """Blow a whistle through the API as the street officer; returns the case id."""
    token = live.whistle("user", "token", "HP.officer").strip()
    reply = request(live.base, "POST", "/api/v1/instances", token=token,
                    body={"process": "whistle", "data": {**WHISTLE_DATA, "departments": departments}})
    assert reply.status == 201, reply.body
    return int(reply.body["id"])


def test_a_designer_breaks_the_model_sees_the_problems_pinned_fixes_and_deploys(page_as: object, live: Live) -> None:
    before = newest_version(live)
    page = page_as("designer")  # type: ignore[operator]
    page.goto(f"{live.base}/design/whistle/edit")
    page.wait_for_selector("#design-modeler[data-ready=true]")
    page.evaluate(BREAK_THE_MODEL)
    page.click("#design-validate")

    # Each problem is pinned to its shape in the SVG: a numbered pin and a marker class on the element.
    for element in ("Lane_dept_staff", "Flow_to_rate"):
        page.locator(f'.djs-overlay .design-pin[data-problem-for="{element}"]').wait_for()
        assert page.locator(f'svg g.djs-element.design-problem-marker[data-element-id="{element}"]').count() == 1
    lane_problem = page.locator('#design-problems li[data-element="Lane_dept_staff"]')
    assert "清洁工" in lane_problem.inner_text() and "whistle.bpmn:" in lane_problem.inner_text()
    assert "__import__" in page.locator('#design-problems li[data-element="Flow_to_rate"]').inner_text()
    assert "个问题" in page.locator("#design-status").inner_text()
    screenshot(page, f"design-problems-{live.backend}")

    # Clicking a problem selects its element; the properties panel fixes it.
    lane_problem.click()
    assert page.evaluate(SELECTED) == ["Lane_dept_staff"]
    page.fill('.design-props-form[data-element="Lane_dept_staff"] input[name=name]', "部门处置人员")
    page.click('.design-props-form[data-element="Lane_dept_staff"] button[type=submit]')
    page.locator('#design-problems li[data-element="Flow_to_rate"]').click()
    page.fill('.design-props-form[data-element="Flow_to_rate"] input[name=condition]', "satisfied == True")
    page.click('.design-props-form[data-element="Flow_to_rate"] button[type=submit]')
    page.click("#design-validate")
    page.locator("#design-status.flash-success").wait_for()
    assert "没有发现问题" in page.locator("#design-status").inner_text()
    assert page.locator(".design-pin").count() == 0 and page.locator(".design-problem-marker").count() == 0

    page.click("#design-deploy")
    page.locator("#design-modeler[data-deployed-version]").wait_for(state="attached")
    assert f"已部署 whistle，版本 {before + 1}。" in page.locator("#design-status").inner_text()
    screenshot(page, f"design-deployed-{live.backend}")

    # What the modeler wrote keeps what bpmn-js has no panel for: camunda attributes and the loop variable.
    deployed = page.request.get(f"{live.base}/design/whistle/versions/{before + 1}/bpmn").text()
    assert 'camunda:formKey="whistle_sign"' in deployed and 'name="clock" value="sign"' in deployed
    assert re.search(r"<bpmn:loopDataInputRef>departments</bpmn:loopDataInputRef>", deployed)
    page.goto(f"{live.base}/design")
    assert page.locator(f'#process-whistle tr[data-version="{before + 1}"]').is_visible()
    screenshot(page, f"design-list-{live.backend}")


def test_a_new_process_starts_valid_and_names_its_file_after_the_process(page_as: object, live: Live) -> None:
    page = page_as("designer")  # type: ignore[operator]
    page.goto(f"{live.base}/design/new")
    page.wait_for_selector("#design-modeler[data-ready=true]")
    with page.expect_request(lambda r: "/design/validate" in r.url) as sent:
        page.click("#design-validate")
    assert sent.value.url.endswith("?filename=new_process.bpmn")
    assert sent.value.headers.get("x-csrftoken")
    page.locator("#design-status.flash-success").wait_for()
    assert "没有发现问题：new_process 可以部署。" in page.locator("#design-status").inner_text()


def test_the_viewer_shows_waiting_and_overdue_tasks_on_the_diagram(page_as: object, live: Live,
                                                                  monday: datetime) -> None:
    start_case(live, ["GHZY", "CGW"])
    version = newest_version(live)
    page = page_as("designer")  # type: ignore[operator]
    page.goto(f"{live.base}/design/whistle?version={version}")
    page.wait_for_selector("#design-viewer[data-counted=true]")
    waiting = page.locator('.djs-overlay .design-counts[data-element="Task_sign"] .design-count.waiting')
    assert int(waiting.inner_text()) == 2  # the test starts on an empty server: only this case's two tasks
    assert "待办任务" in page.locator("#design-totals").inner_text()

    live.clock.set(monday + timedelta(hours=3))  # signing was due at 11:00
    page.reload()
    page.wait_for_selector("#design-viewer[data-counted=true]")
    overdue = page.locator('.djs-overlay .design-counts[data-element="Task_sign"] .design-count.overdue')
    assert int(overdue.inner_text()) == 2
    assert page.locator('svg g.djs-element.design-overdue-marker[data-element-id="Task_sign"]').count() == 1
    screenshot(page, f"design-viewer-{live.backend}")


def test_the_case_page_colours_done_and_waiting_steps(page_as: object, live: Live, monday: datetime) -> None:
    case = start_case(live, ["CGW"])
    page = page_as("HP.officer")  # type: ignore[operator]
    page.goto(f"{live.base}/cases/{case}")
    page.wait_for_selector("#case-diagram[data-ready=true]")
    assert page.locator('svg g.djs-element.case-done[data-element-id="Start_whistle"]').count() == 1
    assert page.locator('svg g.djs-element.case-active[data-element-id="Task_sign"]').count() == 1
    assert page.locator('svg g.djs-element.case-active[data-element-id="Call_departments"]').count() == 1
    assert page.locator('svg g.djs-element[data-element-id="Task_rate"].case-done').count() == 0
    screenshot(page, f"design-case-diagram-{live.backend}")
