"""The OpenAPI part for queries, history, form schemas and attachments: paths, response schemas and request bodies.

Also the headers of optimistic concurrency (``ETag``/``If-Match``) and ``Idempotency-Key``,
which core operations wear through :func:`if_match`, :func:`etagged` and :func:`idempotent`.
"""
from __future__ import annotations

from typing import Any

from engine import attachments
from web.api import idempotent as idempotency
from web.api import preconditions, queries
from web.api.openapi_parts import PROBLEM, json_response, operation, page_of, path_id, path_text, ref

# Request bodies of this area, by component name (validated by web.api.params.json_object).
BODIES: dict[str, dict[str, Any]] = {}

_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_INT = {"type": "integer"}
_INSTANT = {"type": ["string", "null"], "format": "date-time"}
_INSTANCE_ID = path_id("instance_id", "Case (instance) id.")
_TASK_ID = path_id("task_id", "Task id.")
_ATTACHMENT_ID = path_id("attachment_id", "Attachment id.")
_KEY = path_text("key", "Process key (the BPMN process id).")
_STALE = {"412": PROBLEM}


def counted_page(item: dict[str, Any]) -> dict[str, Any]:
    """One page of a paged list with the number of matches in all."""
    found = page_of(item)
    found["required"] = [*found["required"], "total"]
    found["properties"] = {**found["properties"], "total": {"type": "integer", "description": "Matches in all."}}
    return found


def etagged(op: dict[str, Any], status: str = "200") -> dict[str, Any]:
    """``op`` whose ``status`` answer carries an ETag."""
    op["responses"][status] = {**op["responses"][status], "headers": preconditions.ETAG_HEADER}
    return op


def if_match(op: dict[str, Any]) -> dict[str, Any]:
    """``op`` honouring If-Match (412 when stale), answering with an ETag."""
    op.setdefault("parameters", []).append(preconditions.IF_MATCH_SPEC)
    op["responses"].update(_STALE)
    return etagged(op)


def idempotent(op: dict[str, Any]) -> dict[str, Any]:
    """``op`` taking an Idempotency-Key (a replay says Idempotent-Replayed: true)."""
    op.setdefault("parameters", []).append(idempotency.KEY_SPEC)
    op["responses"].setdefault("409", PROBLEM)
    for status, answer in op["responses"].items():
        if status.startswith("2"):
            answer["headers"] = {**answer.get("headers", {}), "Idempotent-Replayed": {
                "description": "true: the kept answer to an earlier request with this Idempotency-Key.",
                "schema": {"type": "string", "enum": ["true"]}}}
    return op


def paths() -> dict[str, Any]:
    """History, form schemas, attachments."""
    history = json_response(page_of(ref("HistoryAction")), "One page.")
    form = {"200": json_response(ref("FormSchema"), "The form.")}
    return {
        "/history": {"get": operation("Actions on every case the caller may see", {"200": history},
                                      tag="history", query=queries.HISTORY_PARAMS)},
        "/instances/{instance_id}/history": {"get": operation("Actions on one case", {"200": history},
                                                              tag="history", path=[_INSTANCE_ID],
                                                              query=queries.HISTORY_PARAMS)},
        "/definitions/{key}/form": {"get": operation("The start form of a process version", form,
                                                     tag="forms", path=[_KEY], query=[queries.FORM_VERSION])},
        "/tasks/{task_id}/form": {"get": operation("The form a task is completed with", form, tag="forms",
                                                   path=[_TASK_ID])},
        "/attachments": {"post": operation(
            "Upload files for the caller's next form (put the ids in the form's attachment field)", {
                "201": json_response({"type": "object", "required": ["items"], "properties": {
                    "items": {"type": "array", "items": ref("Attachment")}}}, "Kept, waiting for a form (24 h).")},
            tag="attachments", body={"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": [queries.UPLOAD_FIELD], "properties": {queries.UPLOAD_FIELD: {
                    "type": "array", "items": {"type": "string", "format": "binary"},
                    "description": "Photos (JPEG, PNG, WebP), PDF, Word or Excel files, judged by their bytes; "
                                   "8 MB each."}}}}}})},
        "/attachments/{attachment_id}": {"get": operation("Download an attachment", {"200": {
            "description": "The bytes (images inline, other files as a download).",
            "content": {kind: {"schema": {"type": "string", "format": "binary"}}
                        for kind in sorted(attachments.ALLOWED_TYPES)}}},
            tag="attachments", path=[_ATTACHMENT_ID])},
    }


def schemas() -> dict[str, Any]:
    """Response schemas of this area, by component name."""
    return {
        "HistoryAction": {"type": "object", "properties": {
            "id": _INT, "instance_id": _INT, "action": _STR, "at": _INSTANT, "actor": _NSTR, "actor_name": _NSTR,
            "department": {"type": ["string", "null"], "description": "Department code."},
            "task_id": {"type": ["integer", "null"]}, "payload": {"type": "object"}}},
        "FormSchema": {"type": "object", "required": ["process", "form_key", "schema"], "properties": {
            "process": _STR, "version": {"type": ["integer", "null"]}, "task_id": _INT, "form_key": _NSTR,
            "schema": {"type": ["object", "null"], "description": "JSON Schema of the form data; null: no form."},
            "attachment_fields": {"type": "array", "items": _STR,
                                  "description": "Fields that take attachment ids (POST /attachments)."},
            "uploads": {"type": "object", "properties": {
                "max_file_bytes": _INT, "max_request_bytes": _INT, "max_files": _INT,
                "content_types": {"type": "array", "items": _STR}}}}},
        "Attachment": {"type": "object", "properties": {
            "id": _INT, "filename": _STR, "content_type": _STR, "size": _INT, "sha256": _STR,
            "instance_id": {"type": ["integer", "null"]}, "created_at": _INSTANT}},
    }
