"""The monthly ranking (三率) on a 390×844 phone: nothing scrolls sideways, every number names its column."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.browser.conftest import LAYOUT_ONLY, Live, screenshot
from tests.browser.test_phone import PHONE, assert_fits, on_phone
from tests.http_client import request
from tests.support import FIXTURES, SHANGHAI

pytestmark = pytest.mark.browser

RATES = FIXTURES / "bpmn" / "rates"


def answer(live: Live, token: str, handler: str, visit: dict[str, object]) -> None:
    """One order for ``handler``, confirmed as it is and answered with ``visit``."""
    started = request(live.base, "POST", "/api/v1/instances", token=token, body={
        "process": "rates_hotline", "data": {"description": "路灯不亮", "handler": handler}})
    assert started.status == 201, started.body
    for _ in range(2):  # 核定承办单位, then 回访
        queue = request(live.base, "GET", f"/api/v1/tasks?scope=department&status=open&instance={started.body['id']}",
                        token=token)
        task = queue.body["items"][0]
        data = visit if task["element_id"] == "Task_callback" else {}
        done = request(live.base, "POST", f"/api/v1/tasks/{task['id']}/complete", token=token, body={"data": data})
        assert done.status == 200, done.body


@pytest.mark.parametrize("live", LAYOUT_ONLY, indirect=True)
def test_the_ranking_fits_a_phone(page_as: Any, live: Live) -> None:
    live.clock.set(datetime(2026, 9, 15, 10, 0, tzinfo=SHANGHAI))
    live.whistle("deploy", str(RATES / "hotline.bpmn"), str(RATES / "hotline.yaml"))
    token = live.whistle("user", "token", "JSJB.dispatcher").strip()
    for handler, solved in (("HP", True), ("XH", False), ("CGW", True)):
        answer(live, token, handler, {"valid": True, "responded": True, "solved": solved,
                                      "satisfaction": "satisfied"})
    page = on_phone(page_as("DCS.supervisor"))
    page.goto(f"{live.base}/supervise/ranking?process=rates_hotline&month=2026-09")
    assert page.locator("table[data-table='units'] tbody tr").count() == 3
    assert_fits(page, "ranking")
    unnamed = page.evaluate("""() => [...document.querySelectorAll('.table-wrap td.num')]
        .filter(td => td.offsetParent !== null && getComputedStyle(td, '::before').content === 'none')
        .map(td => td.outerHTML.slice(0, 80))""")
    assert unnamed == [], f"cells without a label on a phone card: {unnamed}"
    for button in page.locator("main button:visible, main input:visible").all():
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    screenshot(page, f"phone-ranking-{live.backend}")
