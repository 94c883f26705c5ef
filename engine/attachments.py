"""Uploaded files: accepted by what their bytes are, stored once per content, shown to the case's participants.

The bytes live on disk as ``<storage_dir>/<sha256>``; the database row keeps who sent
them, what they are called and which case they belong to. The name a browser sends is
only ever shown and offered back as the download name, never used to build a path.
"""
from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, load_only

from engine import blobs, pending_uploads
from engine.access import may_see_instance
from engine.actors import Actor
from engine.blobs import blob_path  # noqa: F401 - where callers find a blob
from engine.errors import FieldError, InvalidInput, NotFound
from engine.models import Attachment, ProcessInstance
from engine.pending_uploads import DEFAULT_LIMITS, PendingLimits

MAX_BYTES = 8 * 1024 * 1024
MAX_NAME = 255
JPEG, PNG, WEBP = "image/jpeg", "image/png", "image/webp"
PDF = "application/pdf"
DOC, XLS = "application/msword", "application/vnd.ms-excel"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMAGE_TYPES = frozenset({JPEG, PNG, WEBP})
ALLOWED_TYPES = frozenset({JPEG, PNG, WEBP, PDF, DOC, XLS, DOCX, XLSX})
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of .doc and .xls
_SEPARATORS = re.compile(r"[\\/]")


def sniff(data: bytes, filename: str = "") -> str | None:
    """The accepted content type the bytes really are, or None (the name only tells .doc from .xls)."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(_OLE2):
        # Both share one container format; telling them apart needs a full OLE parser, and a
        # wrong guess between the two is harmless (either is offered as a download).
        return {".doc": DOC, ".xls": XLS}.get(Path(clean_filename(filename)).suffix.lower())
    if data.startswith(b"PK\x03\x04"):
        return _office_open_xml(data)
    return None


def _office_open_xml(data: bytes) -> str | None:
    """DOCX or XLSX by the parts the archive lists (the central directory only: nothing is unpacked)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def clean_filename(name: str | None) -> str:
    """A display name: the last path part, printable characters only, at most 255 characters."""
    base = _SEPARATORS.split(name or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip().lstrip(".")
    if len(base) > MAX_NAME:
        stem, dot, suffix = base.rpartition(".")
        base = (stem[: MAX_NAME - len(suffix) - 1] + dot + suffix) if dot and len(suffix) <= 10 else base[:MAX_NAME]
    return base or "attachment"


def store(session: Session, storage_dir: Path, actor: Actor, filename: str | None, content_type: str | None,
          data: bytes, now: datetime, *, field: str = "attachments",
          limits: PendingLimits = DEFAULT_LIMITS) -> Attachment:
    """Accept one upload by ``actor``: check size, type and room, keep the bytes, add an unattached row.

    ``content_type`` is what the browser claimed; it is not trusted (the type is sniffed from
    the bytes) and only kept out of the way. The same file sent again under the same name
    while it still waits is the same upload (no second row). Refusals are InvalidInput on ``field``.
    """
    del content_type  # browsers send whatever the file name suggests; the bytes decide
    name = clean_filename(filename)
    if not data:
        raise _refused(field, "{name} is empty.", "empty", name=name)
    if len(data) > MAX_BYTES:
        raise _refused(field, "{name} is larger than {limit} MB.", "too_large", name=name,
                       limit=MAX_BYTES // (1024 * 1024))
    kind = sniff(data, name)
    if kind is None:
        raise _refused(field, "{name} cannot be accepted: only photos (JPEG, PNG, WebP), PDF, Word and Excel files.",
                       "file_type", name=name)
    digest = hashlib.sha256(data).hexdigest()
    again = pending_uploads.reusable(session, actor, digest, name)
    if again is not None:
        blobs.write(storage_dir, digest, data, now)  # restamped, and rewritten should it have gone
        again.created_at = now  # waits afresh from now
        session.flush()
        return again
    too_much = pending_uploads.refusal(session, actor, len(data), limits, field)
    if too_much is not None:
        raise InvalidInput("The form has errors.", [too_much])
    blobs.write(storage_dir, digest, data, now)
    row = Attachment(sha256=digest, filename=name, content_type=kind, size=len(data),
                     uploaded_by_id=actor.user_id, instance_id=None, created_at=now)
    session.add(row)
    session.flush()
    return row


def _refused(field: str, template: str, code: str, **params: object) -> InvalidInput:
    return InvalidInput("The form has errors.", [FieldError(field, template, code, params)])


def may_see(session: Session, actor: Actor, attachment: Attachment) -> bool:
    """The uploader before it is attached; afterwards whoever may see the case."""
    if attachment.instance_id is None:
        return attachment.uploaded_by_id == actor.user_id
    instance = session.execute(
        select(ProcessInstance).options(load_only(ProcessInstance.id, ProcessInstance.started_by_id))
        .where(ProcessInstance.id == attachment.instance_id)
    ).scalar_one_or_none()
    return instance is not None and may_see_instance(session, actor, instance)


def visible(session: Session, actor: Actor, attachment_id: int) -> Attachment:
    """An attachment ``actor`` may open; NotFound for every other id (no probing)."""
    found = session.get(Attachment, attachment_id)
    if found is None or not may_see(session, actor, found):
        raise NotFound("Attachment {id} not found.", id=attachment_id)
    return found


def fields_of(schema: Mapping[str, Any] | None) -> list[str]:
    """The file fields of a form schema (properties shown as an upload widget)."""
    properties = (schema or {}).get("properties")
    if not isinstance(properties, Mapping):
        return []
    return [name for name, spec in properties.items()
            if isinstance(spec, Mapping) and spec.get("x-widget") == "attachments"]


def _ids(values: Iterable[object]) -> list[int]:
    """The integer ids among form values, in order, without repeats."""
    found = [int(v) for v in values if isinstance(v, int | str) and str(v).isdigit() and len(str(v)) < 12]
    return list(dict.fromkeys(found))


def pending(session: Session, actor: Actor, ids: Iterable[object]) -> list[Attachment]:
    """The actor's own uploads among ``ids`` that no case holds yet, in the order given."""
    wanted = _ids(ids)
    if not wanted:
        return []
    rows = {a.id: a for a in session.execute(select(Attachment).where(
        Attachment.id.in_(wanted), Attachment.uploaded_by_id == actor.user_id, Attachment.instance_id.is_(None)
    )).scalars()}
    return [rows[i] for i in wanted if i in rows]


def unknown(session: Session, actor: Actor, ids: Iterable[object], *, field: str = "attachments",
            instance_id: int | None = None) -> list[FieldError]:
    """Errors for ids that are not the actor's pending uploads (or already on ``instance_id``)."""
    values = list(ids)
    wanted = _ids(values)
    usable = {str(i) for i in session.execute(_usable(select(Attachment.id), actor, wanted, instance_id)).scalars()} \
        if wanted else set()
    return _unknown_errors(values, usable, field)


def attach(session: Session, actor: Actor, ids: Iterable[object], instance_id: int, *,
           field: str = "attachments") -> list[Attachment]:
    """Give the actor's uploads ``ids`` to a case; InvalidInput names any id that is not theirs to give."""
    values = list(ids)
    wanted = _ids(values)
    # Locked while they are checked and given: the cleanup of stale uploads skips locked rows, and
    # a row it removed meanwhile is simply not found (an unknown attachment, not a failed update).
    rows = list(session.execute(_usable(select(Attachment), actor, wanted, instance_id).with_for_update())
                .scalars()) if wanted else []
    errors = _unknown_errors(values, {str(r.id) for r in rows}, field)
    if errors:
        raise InvalidInput("The form has errors.", errors)
    for row in rows:
        row.instance_id = instance_id
    session.flush()
    return rows


def _usable(query: Select[Any], actor: Actor, wanted: list[int], instance_id: int | None) -> Select[Any]:
    """``query`` narrowed to the actor's own uploads among ``wanted`` still pending (or on ``instance_id``)."""
    query = query.where(Attachment.id.in_(wanted), Attachment.uploaded_by_id == actor.user_id)
    return query.where(Attachment.instance_id.is_(None) if instance_id is None
                       else (Attachment.instance_id.is_(None) | (Attachment.instance_id == instance_id)))


def _unknown_errors(values: list[object], usable: set[str], field: str) -> list[FieldError]:
    return [FieldError(f"{field}[{n}]", "Unknown attachment: {id}.", "unknown_attachment", {"id": _shown(value)})
            for n, value in enumerate(values) if str(value) not in usable]


def _shown(value: object) -> str:
    """An id as a message repeats it: never a hostile value whole."""
    text = str(value)
    return text if len(text) <= 40 else text[:40] + "…"


def of_instance(session: Session, instance_id: int) -> list[Attachment]:
    """Every attachment of a case, oldest first."""
    return list(session.execute(
        select(Attachment).where(Attachment.instance_id == instance_id).order_by(Attachment.id)
    ).scalars())
