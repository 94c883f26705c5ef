"""A street officer blows a whistle in a real browser and lands on its board."""
from __future__ import annotations

import re
import struct
import zlib
from datetime import datetime

import pytest

from tests.browser.conftest import Live, screenshot
from tests.support import SHANGHAI

pytestmark = pytest.mark.browser


def png() -> bytes:
    """A real 2x2 red PNG."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + b"\xc6\x28\x28" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_an_officer_blows_a_whistle_and_follows_it_on_the_board(page_as: object, live: Live) -> None:
    monday = datetime(2026, 9, 28, 9, 0, tzinfo=SHANGHAI)  # a Monday morning: the sign clocks run
    live.clock.set(monday)
    page = page_as("HP.officer")  # type: ignore[operator]
    page.clock.set_fixed_time(monday)  # the countdowns tick in the browser: same instant as the server
    page.goto(f"{live.base}/whistles/new")
    assert page.locator("h1").inner_text() == "吹哨"
    page.select_option("select[name=whistle_type]", "enforcement")
    with page.expect_response(lambda response: "/whistles/suggestion" in response.url):
        page.select_option("select[name=category]", "WFJS")
    ticked = page.locator("#departments-field input[name=departments]:checked")
    assert sorted(ticked.evaluate_all("nodes => nodes.map(n => n.value)")) == ["GHZY", "ZJW"]
    page.uncheck("input[name=departments][value=ZJW]")
    page.check("input[name=departments][value=CGW]")
    page.select_option("select[name=community]", "和平里社区")
    page.fill("input[name=address]", "和平里七区 5 号楼楼顶")
    page.fill("textarea[name=description]", "居民反映 5 号楼楼顶有人正在搭建违章建筑，街道无法单独处置。")
    page.set_input_files("input[name=attachments]",
                         files=[{"name": "现场照片.png", "mimeType": "image/png", "buffer": png()}])
    screenshot(page, f"street-new-{live.backend}")
    page.click("form.whistle-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/whistles/\d+$"))
    assert "已吹哨" in page.locator(".flash").inner_text()
    rows = page.locator("tr[data-department]")
    assert sorted(rows.evaluate_all("nodes => nodes.map(n => n.dataset.department)")) == ["CGW", "GHZY"]
    for code in ("GHZY", "CGW"):
        sign = page.locator(f"tr[data-department={code}] td[data-stage=sign]")
        assert sign.get_attribute("data-state") == "running"
        assert "进行中" in sign.inner_text()
        badge = sign.locator(".badge[data-deadline]")
        assert badge.is_visible() and "剩余 2个工作小时" in badge.inner_text()  # 2 working hours to sign
        assert page.locator(f"tr[data-department={code}] td[data-stage=report_in]").inner_text().strip() == "未开始"
    image = page.locator(".attachment-list img")
    # The picture loads after the page: wait for it (a busy machine once judged it half-loaded).
    page.wait_for_function("() => { const img = document.querySelector('.attachment-list img');"
                           " return img !== null && img.complete; }")
    assert image.evaluate("img => img.naturalWidth") == 2  # the upload is served back
    screenshot(page, f"street-board-{live.backend}")
