"""The modeler and the structural checks in a real browser: 部署 refused while errors remain, warnings in orange
that deploy, and a warning accepted with a reason from the properties panel."""
from __future__ import annotations

import pytest

from tests.browser.conftest import Live, screenshot
from tests.browser.test_design import newest_version

pytestmark = pytest.mark.browser

# The break: the end event 部门办结 and the flow 签收→到场报到 deleted, as a designer does with the mouse.
DELETE_END_AND_FLOW = """() => {
  const modeler = window.whistleDesign.modeler;
  const registry = modeler.get("elementRegistry"), modeling = modeler.get("modeling");
  modeling.removeElements([registry.get("End_department"), registry.get("Flow_to_report_in")]);
}"""
# 核验通过？ without a default flow and 退回重办 with a condition: the no_default warning.
DROP_THE_DEFAULT = """() => {
  const modeler = window.whistleDesign.modeler;
  const registry = modeler.get("elementRegistry"), modeling = modeler.get("modeling"), moddle = modeler.get("moddle");
  modeling.updateProperties(registry.get("Gateway_verified"), {default: undefined});
  modeling.updateProperties(registry.get("Flow_rework"), {
    conditionExpression: moddle.create("bpmn:FormalExpression", {body: "satisfied == False"})});
}"""


def test_deploy_is_refused_while_errors_remain(page_as: object, live: Live) -> None:
    before = newest_version(live)
    page = page_as("designer")  # type: ignore[operator]
    deploys: list[str] = []
    page.on("request", lambda r: deploys.append(r.url) if "/design/deploy" in r.url else None)
    page.goto(f"{live.base}/design/whistle/edit")
    page.wait_for_selector("#design-modeler[data-ready=true]")
    page.evaluate(DELETE_END_AND_FLOW)
    page.click("#design-validate")
    page.locator('.design-pin[data-problem-for="Task_report_in"]').wait_for()
    assert page.locator('svg g.djs-element.design-problem-marker[data-element-id="Task_report_in"]').count() == 1
    assert page.locator("#design-deploy").get_attribute("aria-disabled") == "true"
    page.click("#design-deploy", force=True)  # looks disabled (aria-disabled), still says why when pressed
    assert "未部署：请先改正列表中的错误" in page.locator("#design-status").inner_text()
    assert deploys == [] and newest_version(live) == before
    screenshot(page, f"design-refused-{live.backend}")


def test_a_warning_deploys_and_can_be_accepted_with_a_reason(page_as: object, live: Live) -> None:
    before = newest_version(live)
    page = page_as("designer")  # type: ignore[operator]
    page.goto(f"{live.base}/design/whistle/edit")
    page.wait_for_selector("#design-modeler[data-ready=true]")
    page.evaluate(DROP_THE_DEFAULT)
    page.click("#design-validate")
    page.locator("#design-status.flash-warning").wait_for()
    item = page.locator('#design-problems li[data-element="Gateway_verified"][data-severity="warning"]')
    assert "没有默认流" in item.inner_text() and "警告" in item.inner_text()
    assert page.locator('svg g.djs-element.design-warning-marker[data-element-id="Gateway_verified"]').count() == 1
    assert page.locator("#design-deploy").get_attribute("aria-disabled") is None
    screenshot(page, f"design-warning-{live.backend}")

    item.click()  # selects the gateway; its panel takes the accepted code and the reason
    form = '.design-props-form[data-element="Gateway_verified"]'
    page.fill(f"{form} input[name=accept]", "no_default: 核验只有通过和退回两种结果")
    page.click(f"{form} button[type=submit]")
    page.click("#design-validate")
    page.locator("#design-status.flash-success").wait_for()
    page.click("#design-deploy")
    page.locator("#design-modeler[data-deployed-version]").wait_for(state="attached")
    assert newest_version(live) == before + 1
    deployed = page.request.get(f"{live.base}/design/whistle/versions/{before + 1}/bpmn").text()
    assert 'name="accept" value="no_default: 核验只有通过和退回两种结果"' in deployed
    assert 'name="clock" value="sign"' in deployed  # the other extension properties survive
