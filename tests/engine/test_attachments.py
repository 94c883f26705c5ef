"""Attachments: size limit, type sniffing from the bytes, content-addressed storage, who may open them."""
from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from engine import attachments
from engine.database import Database
from engine.errors import InvalidInput, NotFound
from engine.models import Attachment
from tests.support import Flow

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def office(*parts: str) -> bytes:
    """A zip archive holding empty ``parts`` (what .docx and .xlsx files are)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in parts:
            archive.writestr(part, "<x/>")
    return buffer.getvalue()


def store(flow: Flow, storage: Path, data: bytes, filename: str = "photo.png", user: str = "HP.officer",
          content_type: str = "image/png") -> Attachment:
    """Store one upload in its own transaction."""
    with flow.db.transaction() as session:
        row = attachments.store(session, storage, flow.actor(user), filename, content_type, data, flow.clock.now())
        session.expunge(row)
        return row


def refusal(flow: Flow, storage: Path, data: bytes, filename: str = "photo.png") -> str:
    """The code of the error an upload is refused with."""
    with pytest.raises(InvalidInput) as refused:
        store(flow, storage, data, filename)
    [error] = refused.value.errors
    assert error.field == "attachments"
    return error.code


@pytest.mark.parametrize("data,filename,expected", [
    (PNG, "现场.png", attachments.PNG),
    (JPEG, "IMG_0001.JPG", attachments.JPEG),
    (JPEG, "named-wrongly.pdf", attachments.JPEG),  # the bytes decide, not the name
    (WEBP, "a.webp", attachments.WEBP),
    (PDF, "通知.pdf", attachments.PDF),
    (OLE2, "旧表格.xls", attachments.XLS),
    (OLE2, "旧文档.DOC", attachments.DOC),
    (office("[Content_Types].xml", "word/document.xml"), "报告.docx", attachments.DOCX),
    (office("[Content_Types].xml", "xl/workbook.xml"), "台账.xlsx", attachments.XLSX),
])
def test_accepted_types_are_recognised_by_their_bytes(data: bytes, filename: str, expected: str) -> None:
    assert attachments.sniff(data, filename) == expected


@pytest.mark.parametrize("data,filename", [
    (b"<html><script>alert(1)</script></html>", "photo.png"),  # HTML dressed up as a photo
    (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "x.svg"),
    (b"GIF89a" + b"\x00" * 20, "x.gif"),
    (b"MZ\x90\x00" + b"\x00" * 60, "setup.pdf"),
    (OLE2, "macro.bin"),  # an OLE container that claims to be neither .doc nor .xls
    (office("evil.js"), "a.docx"),  # a zip that is not an Office document
    (b"PK\x03\x04 not really a zip", "a.xlsx"),
])
def test_other_types_are_refused_whatever_their_name(data: bytes, filename: str) -> None:
    assert attachments.sniff(data, filename) is None


def test_html_named_png_is_refused_on_upload(flow: Flow, tmp_path: Path) -> None:
    assert refusal(flow, tmp_path, b"<!doctype html><p>hi</p>", "photo.png") == "file_type"
    assert list(tmp_path.iterdir()) == []  # nothing kept


def test_size_limit(flow: Flow, tmp_path: Path) -> None:
    largest = PNG + b"\x00" * (attachments.MAX_BYTES - len(PNG))
    assert store(flow, tmp_path, largest).size == attachments.MAX_BYTES
    assert refusal(flow, tmp_path, largest + b"\x00") == "too_large"
    assert refusal(flow, tmp_path, b"") == "empty"


def test_storage_is_content_addressed_and_ignores_the_client_name(flow: Flow, tmp_path: Path) -> None:
    storage = tmp_path / "attachments"
    first = store(flow, storage, PNG, "../../etc/passwd.png")
    second = store(flow, storage, PNG, "C:\\Users\\me\\现场 照片.png", user="XH.officer")
    digest = hashlib.sha256(PNG).hexdigest()
    assert first.sha256 == second.sha256 == digest and first.id != second.id
    assert [p.name for p in storage.iterdir()] == [digest]  # one copy, named by its hash, nothing else
    assert attachments.blob_path(storage, digest).read_bytes() == PNG
    assert (first.filename, second.filename) == ("passwd.png", "现场 照片.png")
    assert first.content_type == attachments.PNG
    assert not (tmp_path / "etc").exists()
    with pytest.raises(ValueError):
        attachments.blob_path(storage, "../" + digest[3:])


def test_display_names_are_cleaned() -> None:
    assert attachments.clean_filename("a\r\nb\x00.png") == "ab.png"
    assert attachments.clean_filename("..") == "attachment"
    assert attachments.clean_filename(None) == "attachment"
    long = attachments.clean_filename("长" * 400 + ".pdf")
    assert len(long) == attachments.MAX_NAME and long.endswith(".pdf")


def test_only_the_uploader_sees_an_attachment_until_a_case_holds_it(flow: Flow, db: Database, tmp_path: Path) -> None:
    row = store(flow, tmp_path, PNG)
    with db.transaction(write=False) as session:
        assert attachments.visible(session, flow.actor("HP.officer"), row.id).id == row.id
        for other in ("HP.leader", "XH.officer", "DCS.supervisor"):
            with pytest.raises(NotFound):
                attachments.visible(session, flow.actor(other), row.id)
        assert [a.id for a in attachments.pending(session, flow.actor("HP.officer"), [str(row.id), "x", "999999"])] \
            == [row.id]
        assert attachments.pending(session, flow.actor("XH.officer"), [str(row.id)]) == []


def test_once_attached_the_case_participants_see_it(flow: Flow, db: Database, tmp_path: Path) -> None:
    row = store(flow, tmp_path, PNG)
    case_id = flow.blow()  # HP blows, summoning GHZY, ZJW and CGW
    with db.transaction() as session:
        with pytest.raises(InvalidInput) as refused:  # nobody gives away someone else's upload
            attachments.attach(session, flow.actor("XH.officer"), [str(row.id)], case_id)
        assert refused.value.errors[0].code == "unknown_attachment"
        attachments.attach(session, flow.actor("HP.officer"), [str(row.id)], case_id)
        attachments.attach(session, flow.actor("HP.officer"), [str(row.id)], case_id)  # again: no harm
    with db.transaction(write=False) as session:
        for user in ("HP.officer", "HP.leader", "CGW.staff", "GHZY.dispatcher", "DCS.supervisor"):
            assert attachments.visible(session, flow.actor(user), row.id).instance_id == case_id
        for user in ("XH.officer", "SWJ.staff"):
            with pytest.raises(NotFound):
                attachments.visible(session, flow.actor(user), row.id)
        assert attachments.pending(session, flow.actor("HP.officer"), [str(row.id)]) == []
        assert [a.id for a in attachments.of_instance(session, case_id)] == [row.id]
    other_case = flow.blow()
    with db.transaction() as session, pytest.raises(InvalidInput):  # one case's file cannot move to another
        attachments.attach(session, flow.actor("HP.officer"), [str(row.id)], other_case)
