"""Uploads from page forms and the download route: stored by content, served with safe headers."""
from __future__ import annotations

import logging
import re
from pathlib import PurePosixPath
from urllib.parse import quote

from flask import abort, send_file
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from engine import attachments
from engine.actors import Actor
from engine.errors import FieldError, InvalidInput
from engine.models import Attachment
from web.auth.session import current_actor, login_required
from web.db import now, read_session, services, write

MAX_FILES = 10
log = logging.getLogger(__name__)


def store_uploads(actor: Actor, files: list[FileStorage], *,
                  field: str = "attachments") -> tuple[list[str], list[FieldError]]:
    """Keep every acceptable file of a form in one transaction; the ids kept and the refusals."""
    chosen = [f for f in files if f.filename][:MAX_FILES]  # an empty file input still posts one nameless part
    if not chosen:
        return [], []
    storage = services().settings.resolved_attachments_dir
    limits = services().settings.pending_uploads
    when = now()

    def unit(session: Session) -> tuple[list[str], list[FieldError]]:
        ids, errors = [], []
        for upload in chosen:
            try:
                row = attachments.store(session, storage, actor, upload.filename, upload.mimetype,
                                        upload.read(attachments.MAX_BYTES + 1), when, field=field,
                                        limits=limits)
            except InvalidInput as refused:
                errors.extend(refused.errors)
            else:
                ids.append(str(row.id))
        return ids, errors

    return write(unit)


@login_required
def download(attachment_id: int) -> Response:
    """One attachment for whoever may see its case (404 for everyone else)."""
    return send(attachments.visible(read_session(), current_actor(), attachment_id))


def send(found: Attachment) -> Response:
    """The bytes of an attachment the caller may see, with the headers that keep them inert (pages and API)."""
    path = attachments.blob_path(services().settings.resolved_attachments_dir, found.sha256)
    if not path.is_file():
        log.error("attachment %s: blob %s is missing from %s", found.id, found.sha256, path.parent)
        abort(404)
    image = found.content_type in attachments.IMAGE_TYPES
    # Only sniffed images are shown inline; everything else downloads, so no upload renders as a page.
    response = send_file(path, mimetype=found.content_type, as_attachment=not image,
                         download_name=found.filename, conditional=True, max_age=0)
    response.headers["Content-Disposition"] = content_disposition("inline" if image else "attachment",
                                                                  found.filename, found.id)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


ASCII_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._()-]{0,150}")
ASCII_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,10}")


def content_disposition(kind: str, filename: str, attachment_id: int) -> str:
    """The header with the real name (``filename*``, UTF-8) and an ASCII name for old clients.

    Werkzeug's own fallback drops every non-ASCII letter, so 现场照片.pdf became ".pdf": a Chinese
    name falls back to ``attachment-<id>.pdf`` instead, keeping the suffix that tells the type.
    """
    suffix = PurePosixPath(filename).suffix
    suffix = suffix.lower() if ASCII_SUFFIX.fullmatch(suffix) else ""
    plain = filename if ASCII_NAME.fullmatch(filename) else f"attachment-{attachment_id}{suffix}"
    return f"{kind}; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


def file_size(size: int | None) -> str:
    """A byte count as "830 KB" / "2.4 MB"."""
    if not size:
        return "0 KB"
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB"
