"""The browser refuses a file over the limit (or of a refused type) before the form is sent."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import Live, screenshot
from tests.browser.test_street import png

pytestmark = pytest.mark.browser
MB = 1024 * 1024


def test_a_file_over_8_mb_is_named_beside_the_field_and_the_form_is_not_sent(page_as: object, live: Live) -> None:
    page = page_as("HP.officer")  # type: ignore[operator]
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(f"{live.base}/whistles/new")
    page.select_option("select[name=whistle_type]", "enforcement")
    page.select_option("select[name=category]", "WFJS")
    page.check("input[name=departments][value=CGW]")
    page.select_option("select[name=community]", "和平里社区")
    page.fill("input[name=address]", "和平里七区 5 号楼楼顶")
    page.fill("textarea[name=description]", "居民反映 5 号楼楼顶有人正在搭建违章建筑，街道无法单独处置。")
    page.set_input_files("input[name=attachments]", files=[
        {"name": "现场录像.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n" + b"0" * (9 * MB)},
        {"name": "说明.exe", "mimeType": "application/octet-stream", "buffer": b"MZ"}])
    check = page.locator("#attachments-check")
    assert "现场录像.pdf 超过 8 MB" in check.inner_text() and "说明.exe 不是照片" in check.inner_text()
    screenshot(page, f"upload-too-large-{live.backend}")
    page.click("form.whistle-form button[type=submit]")
    assert page.url.endswith("/whistles/new") and not any("/whistles/new" in url for url in posts)
    assert page.locator("input[name=attachments]").get_attribute("aria-invalid") == "true"
    # A file within the limits goes through: the check blocks only what the server would refuse.
    page.set_input_files("input[name=attachments]",
                         files=[{"name": "现场照片.png", "mimeType": "image/png", "buffer": png()}])
    assert check.inner_text().strip() == ""
    page.click("form.whistle-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/whistles/\d+$"))
