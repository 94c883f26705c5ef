"""API routes for history, form schemas and attachments (the task and case queries extend /tasks and /instances)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, request
from sqlalchemy.orm import Session

from engine import attachments, definitions, history, tasks
from engine.errors import FieldError, InvalidInput
from engine.models import ProcessInstance
from web.api import payloads, preconditions
from web.api.auth import current_actor
from web.db import now, read_session, services, write
from web.query import ChoiceParam, InstantParam, IntParam, TextParam, paging
from web.street.attachments import MAX_FILES, send
from web.upload_rules import upload_rules

ACTOR = TextParam("actor", "Only actions by this username.", max_length=64)
ACTION = TextParam("action", "Only actions of this kind (started, claimed, completed, message, …).", max_length=32)
SINCE = InstantParam("since", "Only actions at or after this instant.")
UNTIL = InstantParam("until", "Only actions before this instant.")
ORDER = ChoiceParam("order", "newest (default) or oldest first.", choices=("newest", "oldest"), default="newest")
LIMIT, OFFSET = paging(200)
HISTORY_PARAMS = (ACTOR, ACTION, SINCE, UNTIL, ORDER, LIMIT, OFFSET)
FORM_VERSION = IntParam("version", "Version of the process; the newest when omitted.", low=1, high=1_000_000)
UPLOAD_FIELD = "file"


def register(bp: Blueprint) -> None:
    """Add the routes of this area."""
    preconditions.register(bp)
    bp.add_url_rule("/history", "list_history", list_history, methods=["GET"])
    bp.add_url_rule("/instances/<id:instance_id>/history", "case_history", case_history, methods=["GET"])
    bp.add_url_rule("/definitions/<key>/form", "start_form", start_form, methods=["GET"])
    bp.add_url_rule("/tasks/<id:task_id>/form", "task_form", task_form, methods=["GET"])
    bp.add_url_rule("/attachments", "upload_attachments", upload_attachments, methods=["POST"])
    bp.add_url_rule("/attachments/<id:attachment_id>", "download_attachment", download_attachment, methods=["GET"])


def list_history() -> Response:
    """Actions on every case the caller may see."""
    return _history(None)


def case_history(instance_id: int) -> Response:
    """Actions on one case the caller may see."""
    return _history(instance_id)


def _history(instance_id: int | None) -> Response:
    query = history.HistoryQuery(instance_id=instance_id, actor=ACTOR.read(), action=ACTION.read(),
                                 since=SINCE.read(), until=UNTIL.read(), newest_first=ORDER.read() == "newest")
    limit, offset = LIMIT.read() or 0, OFFSET.read() or 0
    rows, more = history.page(read_session(), current_actor(), query, limit=limit, offset=offset)
    return jsonify({"items": [payloads.history_action(e) for e in rows], "limit": limit, "offset": offset,
                    "next_offset": offset + limit if more else None})


def start_form(key: str) -> Response:
    """The start form of the newest version of a process (or ``?version=N``)."""
    session = read_session()
    found = definitions.get(session, key, FORM_VERSION.read())
    parts = services().ctx.parts(session, found.id)
    form_key = (parts.catalog.get("start") or {}).get("form")
    return jsonify(_form(found.key, found.version, form_key, parts.form(form_key)))


def task_form(task_id: int) -> Response:
    """The form a task is completed with (the same schema ``GET /tasks/{id}`` embeds)."""
    session = read_session()
    found = tasks.detail(session, services().ctx, current_actor(), task_id)
    instance = session.get(ProcessInstance, found.task.instance_id)  # loaded by detail already
    assert instance is not None
    version = services().ctx.parts(session, instance.definition_id).version
    return jsonify(_form(instance.process_key, version, found.task.form_key, found.form) | {"task_id": task_id})


def _form(process: str, version: int | None, form_key: str | None, schema: dict[str, Any] | None) -> dict[str, Any]:
    rules = upload_rules()
    return {"process": process, "version": version, "form_key": form_key, "schema": schema,
            "attachment_fields": attachments.fields_of(schema),
            "uploads": {"max_file_bytes": rules.max_file_bytes, "max_request_bytes": rules.max_total_bytes,
                        "content_types": sorted(attachments.ALLOWED_TYPES), "max_files": MAX_FILES}}


def upload_attachments() -> tuple[Response, int]:
    """Multipart ``file`` (repeat for several): each is sniffed, limited and kept for the caller's next form."""
    if (request.mimetype or "") != "multipart/form-data":
        abort(415, description=f"Send the files as multipart/form-data in the field '{UPLOAD_FIELD}'.")
    files = [f for f in request.files.getlist(UPLOAD_FIELD) if f.filename]
    if not files:
        raise InvalidInput("The form has errors.", [FieldError(UPLOAD_FIELD, "Choose a file.", "required")])
    if len(files) > MAX_FILES:
        raise InvalidInput("The form has errors.", [
            FieldError(UPLOAD_FIELD, "At most {count} files at a time.", "too_many", {"count": MAX_FILES})])
    actor, storage, limits, at = (current_actor(), services().settings.resolved_attachments_dir,
                                  services().settings.pending_uploads, now())

    def unit(session: Session) -> list[dict[str, Any]]:
        kept, refused = [], []
        for upload in files:
            try:
                kept.append(attachments.store(session, storage, actor, upload.filename, upload.mimetype,
                                              upload.read(attachments.MAX_BYTES + 1), at, field=UPLOAD_FIELD,
                                              limits=limits))
            except InvalidInput as error:
                refused += error.errors
        if refused:  # all or nothing: a client retries the request, not the files that got through
            raise InvalidInput("The form has errors.", refused)
        return [payloads.attachment(row) for row in kept]

    return jsonify({"items": write(unit)}), 201


def download_attachment(attachment_id: int) -> Response:
    """The bytes, for the uploader until a case holds them and then for whoever may see the case."""
    return send(attachments.visible(read_session(), current_actor(), attachment_id))
