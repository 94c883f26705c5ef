"""The street's pages without a browser: blowing a whistle, uploads, the board, who may see what."""
from __future__ import annotations

import io
import re
import struct
import zlib
from typing import Any

from sqlalchemy import select

from engine.database import Database
from engine.models import Attachment, ProcessInstance
from tests.support import WHISTLE_ANSWERS, Flow
from tests.web.conftest import Pages

FORM = {
    "whistle_type": "enforcement",
    "category": "WFJS",
    "community": "和平里社区",
    "address": "和平里七区 5 号楼楼顶",
    "description": "居民反映 5 号楼楼顶有人正在搭建违章建筑，街道无法单独处置。",
    "departments": ["GHZY", "ZJW"],
}


def png() -> bytes:
    """A real 1x1 PNG."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xc8\x10\x10")) \
        + chunk(b"IEND", b"")


def checked(html: str, name: str) -> set[str]:
    """The values of the ticked checkboxes called ``name``."""
    return set(re.findall(rf'name="{name}"\s+value="([^"]+)" checked', html))


def blow(pages: Pages, user: str = "HP.officer", **changes: Any) -> Any:
    """Post the whistle form (with ``changes``) as ``user``."""
    return pages.as_(user).post("/whistles/new", data={**FORM, **changes})


def case_id_of(response: Any) -> int:
    """The case a redirect to its board names."""
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    found = re.search(r"/whistles/(\d+)$", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def test_only_street_officers_may_blow(pages: Pages, flow: Flow) -> None:
    flow.deploy()
    page = pages.as_("HP.officer").get("/whistles/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="csrf_token"' in html and 'enctype="multipart/form-data"' in html
    assert "和平里社区" in html and "新华里社区" not in html  # only the officer's own street's communities
    assert pages.as_("HP.leader").get("/whistles/new").status_code == 403
    staff = pages.as_("CGW.staff")
    assert staff.get("/whistles/new").status_code == 403
    assert staff.post("/whistles/new", data=FORM).status_code == 403
    assert staff.get("/whistles").status_code == 403
    assert pages.as_("HP.leader").get("/whistles").status_code == 200


def test_the_suggestion_ticks_the_category_owners(pages: Pages, flow: Flow) -> None:
    flow.deploy()
    officer = pages.as_("HP.officer")
    fragment = officer.get("/whistles/suggestion?category=WFJS", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    html = fragment.get_data(as_text=True)
    assert 'id="departments-field"' in html and "<html" not in html
    assert checked(html, "departments") == {"GHZY", "ZJW"}
    assert 'value="CGW"' in html  # every district department can still be added
    assert 'value="HP"' not in html  # streets are not summoned
    assert checked(officer.get("/whistles/suggestion?category=SDGD").get_data(as_text=True),
                   "departments") == {"SWJ", "CGW"}
    assert checked(officer.get("/whistles/suggestion?category=NOPE").get_data(as_text=True), "departments") == set()


def test_invalid_input_keeps_everything_and_says_what_to_fix_in_chinese(pages: Pages, flow: Flow,
                                                                          db: Database) -> None:
    flow.deploy()
    officer = pages.as_("HP.officer")
    response = officer.post("/whistles/new", data={
        **FORM, "address": "", "description": "太短", "departments": ["CGW", "SWJ"],
        "attachments": (io.BytesIO(png()), "楼顶.png"),
    })
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'data-field="address">.*?class="field-error"[^>]*>必填项', html, re.S)
    assert re.search(r'data-field="description">.*?class="field-error"[^>]*>至少 5 个字符', html, re.S)
    assert ">太短</textarea>" in html
    assert re.search(r'<option value="WFJS"\s+selected>', html)
    assert checked(html, "departments") == {"CGW", "SWJ"}
    kept = checked(html, "attachments__kept")
    assert len(kept) == 1 and "楼顶.png" in html  # the upload is kept, not lost
    # Correcting the form keeps the upload that was already sent.
    fixed = officer.post("/whistles/new", data={**FORM, "attachments__kept": sorted(kept)})
    case_id = case_id_of(fixed)
    with db.transaction(write=False) as session:
        instance = session.get(ProcessInstance, case_id)
        assert instance is not None and instance.case_data["attachments"] == sorted(kept)


def test_a_refused_upload_is_explained_and_nothing_is_started(pages: Pages, flow: Flow, db: Database) -> None:
    flow.deploy()
    response = blow(pages, attachments=(io.BytesIO(b"<html><script>alert(1)</script></html>"), "photo.png"))
    assert response.status_code == 422
    assert "photo.png 不能上传" in response.get_data(as_text=True)
    with db.transaction(write=False) as session:
        assert session.execute(select(ProcessInstance.id)).first() is None


def test_upload_and_blow_creates_a_case_with_its_attachments(pages: Pages, flow: Flow, db: Database) -> None:
    flow.deploy()
    response = blow(pages, attachments=[(io.BytesIO(png()), "现场.png"), (io.BytesIO(b"%PDF-1.4\n%%EOF"), "a.pdf")])
    case_id = case_id_of(response)
    with db.transaction(write=False) as session:
        instance = session.get(ProcessInstance, case_id)
        assert instance is not None
        ids = instance.case_data["attachments"]
        rows = list(session.execute(select(Attachment).where(Attachment.instance_id == case_id)
                                    .order_by(Attachment.id)).scalars())
        assert [str(r.id) for r in rows] == ids
        assert [(r.filename, r.content_type) for r in rows] == [("现场.png", "image/png"), ("a.pdf", "application/pdf")]
        assert instance.case_data["street"] == "HP"
    image = pages.as_("HP.officer").get(f"/attachments/{ids[0]}")
    assert image.status_code == 200 and image.data == png()
    assert image.headers["Content-Type"] == "image/png"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert image.headers["Content-Disposition"].startswith("inline")
    document = pages.as_("ZJW.staff").get(f"/attachments/{ids[1]}")  # a summoned department sees it
    assert document.status_code == 200 and document.headers["Content-Disposition"].startswith("attachment")
    assert pages.as_("XH.officer").get(f"/attachments/{ids[0]}").status_code == 404
    assert pages.as_("SWJ.staff").get(f"/attachments/{ids[0]}").status_code == 404
    board = pages.as_("HP.officer").get(f"/whistles/{case_id}").get_data(as_text=True)
    assert f"/attachments/{ids[0]}" in board and "现场.png" in board


def test_the_board_shows_each_department_s_stages_and_deadlines(pages: Pages, flow: Flow) -> None:
    flow.deploy_policy()
    case_id = flow.blow()  # GHZY, ZJW, CGW summoned
    officer = pages.as_("HP.officer")
    html = officer.get(f"/whistles/{case_id}").get_data(as_text=True)
    for header in ("签收", "到场报到", "处置反馈", "核验", "评价"):
        assert f"<th>{header}</th>" in html
    rows = dict(re.findall(r'<tr data-department="(\w+)">(.*?)</tr>', html, re.S))
    assert list(rows) == ["GHZY", "ZJW", "CGW"]
    for row in rows.values():
        assert re.search(r'data-stage="sign" data-state="running"[^>]*>\s*<span class="stage-state">进行中', row)
        assert 'class="badge level-' in row and "data-deadline=" in row
        assert re.search(r'data-stage="report_in" data-state="waiting"', row)
    ghzy = flow.task(case_id, "Task_sign", "GHZY")
    flow.complete(ghzy.id, WHISTLE_ANSWERS["Task_sign"], as_="GHZY.dispatcher")
    flow.complete(flow.task(case_id, "Task_report_in", "GHZY").id, WHISTLE_ANSWERS["Task_report_in"],
                  as_="GHZY.staff")
    flow.complete(flow.task(case_id, "Task_handle", "GHZY").id, WHISTLE_ANSWERS["Task_handle"], as_="GHZY.staff")
    html = officer.get(f"/whistles/{case_id}").get_data(as_text=True)
    row = dict(re.findall(r'<tr data-department="(\w+)">(.*?)</tr>', html, re.S))["GHZY"]
    assert re.search(r'data-stage="sign" data-state="done"[^>]*>\s*<span class="stage-state">已完成', row)
    assert re.search(r'data-stage="verify" data-state="running"', row)
    verify = [t for t in flow.open_tasks(case_id, "Task_verify") if t.context["department"] == "GHZY"][0]
    assert f'href="/tasks/{verify.id}"' in row
    # The street sends it back on the shared task page; the board counts the rework.
    page = officer.get(f"/tasks/{verify.id}")
    assert page.status_code == 200 and 'name="satisfied"' in page.get_data(as_text=True)
    refused = officer.post(f"/tasks/{verify.id}/complete", data={"satisfied": "false"})
    assert refused.status_code == 422 and "必填项" in refused.get_data(as_text=True)
    sent_back = officer.post(f"/tasks/{verify.id}/complete", data={"satisfied": "false", "comment": "违建未拆除干净"})
    assert sent_back.status_code == 302
    row = dict(re.findall(r'<tr data-department="(\w+)">(.*?)</tr>',
                          officer.get(f"/whistles/{case_id}").get_data(as_text=True), re.S))["GHZY"]
    assert re.search(r'data-stage="handle" data-state="running"', row)
    assert re.search(r'data-stage="verify" data-state="waiting"', row)
    assert "已退回重办 1 次" in row
    listing = officer.get("/whistles").get_data(as_text=True)
    assert f'data-whistle="{case_id}"' in listing and "0 / 3" in listing


def test_other_streets_cannot_see_the_whistle(pages: Pages, flow: Flow) -> None:
    case_id = flow.blow()
    flow.complete(flow.task(case_id, "Task_sign", "CGW").id, {}, as_="CGW.dispatcher")
    other = pages.as_("XH.officer")
    assert other.get(f"/whistles/{case_id}").status_code == 404
    assert f'data-whistle="{case_id}"' not in other.get("/whistles").get_data(as_text=True)
    assert pages.as_("HP.leader").get(f"/whistles/{case_id}").status_code == 200
    sign = flow.task(case_id, "Task_sign", "GHZY")
    assert pages.as_("HP.officer").get(f"/tasks/{sign.id}").status_code == 404
