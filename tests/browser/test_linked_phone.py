"""On a 390×844 phone, a street officer blows a whistle from a 12345 order: the offer on the order's
page, the prefilled form, and both case pages showing the link, none of them scrolling sideways."""
from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import LAYOUT_ONLY, Live, screenshot
from tests.browser.test_phone import assert_fits, on_phone
from tests.http_client import request

pytestmark = pytest.mark.browser

ORDER = {"request_kind": "complaint", "urgency": "general", "category": "WFJS", "street": "HP",
         "community": "和平里社区", "address": "和平里七区 5 号楼楼顶",
         "description": "市民反映 5 号楼楼顶有人搭建违章建筑，多次劝阻无效。",
         "caller_phone": "13800000000", "disposition": "dispatch"}


def work(live: Live, token: str, case: int, element: str, data: dict[str, object]) -> None:
    """Complete the case's open ``element`` as the token's user."""
    queue = request(live.base, "GET", f"/api/v1/tasks?scope=department&status=open&instance={case}", token=token)
    task = next(t for t in queue.body["items"] if t["element_id"] == element)
    done = request(live.base, "POST", f"/api/v1/tasks/{task['id']}/complete", token=token, body={"data": data})
    assert done.status == 200, done.body


@pytest.mark.parametrize("live", LAYOUT_ONLY, indirect=True)
def test_a_whistle_blown_from_an_order_on_a_phone(page_as: Any, live: Live) -> None:
    tokens = dict(line.split(" ", 1) for line in live.whistle(
        "user", "token", "DEMO12345.operator", "JSJB.dispatcher", "HP.handler").splitlines()
        if line and not line.startswith("valid until"))
    started = request(live.base, "POST", "/api/v1/instances", token=tokens["DEMO12345.operator"],
                      body={"process": "rxjb", "data": ORDER})
    assert started.status == 201, started.body
    order = started.body["id"]
    work(live, tokens["JSJB.dispatcher"], order, "Task_dispatch", {"jurisdiction": "clear", "handler": "HP"})
    work(live, tokens["HP.handler"], order, "Task_sign", {"decision": "sign"})

    page = on_phone(page_as("HP.officer"))
    page.goto(f"{live.base}/cases/{order}")
    offer = page.locator("a[data-offer=whistle]")
    assert offer.is_visible() and "吹哨" in offer.inner_text()
    assert_fits(page, "order with an offer")
    offer.click()
    page.wait_for_url(re.compile(rf".*/whistles/new\?linked_from={order}$"))
    assert page.locator("textarea[name=description]").input_value() == ORDER["description"]
    ticked = page.locator("input[name=departments]:checked").evaluate_all("nodes => nodes.map(n => n.value)")
    assert ticked, "the order's category ticks its owners, as picking it would"
    page.select_option("select[name=whistle_type]", "enforcement")
    assert_fits(page, "prefilled whistle form")
    screenshot(page, f"phone-linked-form-{live.backend}")
    page.click("form.whistle-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/whistles/\d+$"))
    whistle = int(page.url.rsplit("/", 1)[1])

    page.goto(f"{live.base}/cases/{whistle}")
    assert page.locator("li[data-linked=source] a").get_attribute("href") == f"/cases/{order}"
    assert_fits(page, "whistle with its source")
    page.goto(f"{live.base}/cases/{order}")
    assert page.locator("li[data-linked=started] a").get_attribute("href") == f"/cases/{whistle}"
    assert_fits(page, "order with its whistle")
    screenshot(page, f"phone-linked-order-{live.backend}")
