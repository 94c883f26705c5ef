"""Uploads told before they are sent: the same type/size hints and browser-check data on every file field,
and a form over the cap answered inside the layout with the way back."""
from __future__ import annotations

import io
from collections.abc import Callable

from flask import Flask
from lxml import html as lxml_html

from tests.support import Flow
from tests.web.conftest import Pages
from tests.web.test_pages_street import FORM

MB = 1024 * 1024


def file_input(body: str, name: str) -> lxml_html.HtmlElement:
    """The file input called ``name`` on a page."""
    found = lxml_html.fromstring(body).xpath(f"//input[@type='file'][@name='{name}']")
    assert len(found) == 1, f"no file input {name}"
    return found[0]


def assert_checked_in_the_browser(body: str, name: str, total_mb: int) -> None:
    """The field names its limits, carries them for form-checks.js, and the script is on the page."""
    field = file_input(body, name)
    assert field.get("data-max-file-bytes") == str(8 * MB)
    assert field.get("data-max-total-bytes") == str(total_mb * MB)
    assert ".pdf" in field.get("data-extensions").split() and ".jpg" in field.get("accept")
    assert "{name}" in field.get("data-too-large") and field.get("data-too-much")
    assert f"单个文件最多 8 MB，合计最多 {total_mb} MB" in body
    assert "/static/js/form-checks.js" in body


def test_the_whistle_form_and_the_evidence_field_say_and_carry_the_same_limits(
        make_app: Callable[..., Flask], flow: Flow) -> None:
    pages = Pages(make_app(max_upload_bytes=20 * MB), [])
    case = flow.blow()
    assert_checked_in_the_browser(pages.as_("HP.officer").get("/whistles/new").get_data(as_text=True),
                                  "attachments", 20)
    flow.complete(flow.task(case, "Task_sign", "CGW").id, {}, as_="CGW.dispatcher")
    flow.complete(flow.task(case, "Task_report_in", "CGW").id, {"on_site_staff": "两人"}, as_="CGW.staff")
    handle = flow.task(case, "Task_handle", "CGW")
    assert_checked_in_the_browser(pages.as_("CGW.staff").get(f"/tasks/{handle.id}").get_data(as_text=True),
                                  "evidence", 20)


def test_a_form_over_the_cap_is_answered_in_the_layout_with_the_way_back(
        make_app: Callable[..., Flask], flow: Flow) -> None:
    flow.deploy()
    officer = Pages(make_app(max_upload_bytes=1 * MB), []).as_("HP.officer")
    big = (io.BytesIO(b"%PDF-1.4\n" + b"0" * (2 * MB)), "big.pdf")
    answer = officer.post("/whistles/new", data={**FORM, "attachments": big}, content_type="multipart/form-data",
                          headers={"Referer": "http://localhost/whistles/new"})
    assert answer.status_code == 413
    page = lxml_html.fromstring(answer.get_data(as_text=True))
    assert page.xpath("//nav[@id='mainnav']"), "the signed-in menu is missing"
    assert page.xpath("//span[@class='who']"), "the signed-in name is missing"
    assert page.xpath("//a[@href='/whistles/new']"), "no way back to the form"
    text = " ".join(page.text_content().split())
    assert "合计最多 1 MB" in text and "本次未保存任何内容" in text


def test_the_way_back_never_leaves_the_site(make_app: Callable[..., Flask], flow: Flow) -> None:
    flow.deploy()
    officer = Pages(make_app(max_upload_bytes=1 * MB), []).as_("HP.officer")
    big = (io.BytesIO(b"0" * (2 * MB)), "big.pdf")
    answer = officer.post("/whistles/new", data={**FORM, "attachments": big}, content_type="multipart/form-data",
                          headers={"Referer": "https://evil.example/whistles/new"})
    assert answer.status_code == 413
    assert "evil.example" not in answer.get_data(as_text=True)
