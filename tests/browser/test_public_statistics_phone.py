"""网上监督 on a 390×844 phone, signed out: both charts are drawn, and nothing scrolls sideways."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.browser.conftest import LAYOUT_ONLY, Live, screenshot
from tests.browser.test_phone import PHONE, assert_fits
from tests.http_client import request
from tests.support import SHANGHAI

pytestmark = pytest.mark.browser

USERS = ("SFQ-CY.clerk", "SFQ-CY.dispatcher", "HP.caseworker", "SWJ.caseworker")
REQUEST = {"channel": "hotline", "request_kind": "complaint", "limit_class": "general", "category": "SDGD",
           "street": "HP", "community": "和平里社区", "description": "楼里停水两天，物业不回应。",
           "requester_phone": "13800000000", "disposition": "dispatch"}


def step(live: Live, token: str, case: int, element: str, data: dict[str, object]) -> None:
    """Complete the case's open ``element`` that the token's user sees in their unit's queue."""
    queue = request(live.base, "GET", f"/api/v1/tasks?scope=department&status=open&instance={case}", token=token)
    task = next(t for t in queue.body["items"] if t["element_id"] == element)
    done = request(live.base, "POST", f"/api/v1/tasks/{task['id']}/complete", token=token, body={"data": data})
    assert done.status == 200, done.body


def rated(live: Live, tokens: dict[str, str], handler: str, address: str, rating: int) -> None:
    """A 一网通办 request dispatched to ``handler``, signed, handled and rated ``rating`` stars."""
    started = request(live.base, "POST", "/api/v1/instances", token=tokens["SFQ-CY.clerk"],
                      body={"process": "ywtb", "data": {**REQUEST, "address": address}})
    assert started.status == 201, started.body
    case = int(started.body["id"])
    step(live, tokens["SFQ-CY.dispatcher"], case, "Task_dispatch", {"handler": handler})
    step(live, tokens[f"{handler}.caseworker"], case, "Task_sign", {"decision": "sign"})
    step(live, tokens[f"{handler}.caseworker"], case, "Task_handle", {"contacted": True, "result": "已恢复供水"})
    step(live, tokens["SFQ-CY.clerk"], case, "Task_rate", {"rating": rating})


@pytest.mark.parametrize("live", LAYOUT_ONLY, indirect=True)
def test_public_statistics_draw_both_charts_on_a_phone(browser: Any, live: Live) -> None:
    live.clock.set(datetime(2026, 9, 15, 10, 0, tzinfo=SHANGHAI))
    lines = live.whistle("user", "token", *USERS).splitlines()
    tokens = dict(line.split(" ", 1) for line in lines if line)
    rated(live, tokens, "HP", "和平里七区 1 号楼", 5)
    rated(live, tokens, "SWJ", "和平里七区 2 号楼", 2)
    context = browser.new_context(viewport=PHONE, locale="zh-CN")  # nobody signed in
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live.base}/public/statistics?process=ywtb&month=2026-09")
        assert page.locator("table[data-table='units'] tbody tr").count() == 2
        for kind in ("rates", "trend"):
            chart = page.locator(f"[data-chart='{kind}'][data-ready='1']")
            chart.wait_for()
            drawn = chart.locator("canvas, svg").first
            box = drawn.bounding_box()
            assert box is not None and box["width"] > 100 and box["height"] > 100, (kind, box)
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (kind, box)
        assert_fits(page, "public statistics")
        unnamed = page.evaluate("""() => [...document.querySelectorAll('.table-wrap td')]
            .filter(td => td.offsetParent !== null && getComputedStyle(td, '::before').content === 'none')
            .map(td => td.outerHTML.slice(0, 80))""")
        assert unnamed == [], f"cells without a label on a phone card: {unnamed}"
        assert page.locator("li[data-area='HP'] .area-value").inner_text() == "100.0%"
        screenshot(page, f"phone-public-statistics-{live.backend}")
        page.set_viewport_size({"width": 1280, "height": 800})  # an office screen: the charts side by side
        boxes = [page.locator(f"[data-chart='{kind}']").bounding_box() for kind in ("rates", "trend")]
        assert boxes[0] and boxes[1] and boxes[0]["y"] == boxes[1]["y"] and boxes[0]["x"] < boxes[1]["x"], boxes
        screenshot(page, f"desktop-public-statistics-{live.backend}")
    finally:
        context.close()
