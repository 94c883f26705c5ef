"""The OpenAPI part for comments and drafts: paths, response schemas and request bodies."""
from __future__ import annotations

from typing import Any

from engine.comments import BODY_MAX, BODY_MIN
from engine.drafts import DATA_MAX_BYTES
from web.api.openapi_parts import PROBLEM, json_body, json_response, list_of, operation, path_id, ref

# Request bodies of this area, by component name (validated by web.api.params.json_object).
BODIES: dict[str, dict[str, Any]] = {
    "CommentRequest": {"type": "object", "required": ["body"], "additionalProperties": False, "properties": {
        "body": {"type": "string", "minLength": BODY_MIN, "maxLength": BODY_MAX,
                 "description": f"The comment, {BODY_MIN} to {BODY_MAX} characters once trimmed."}}},
    "DraftRequest": {"type": "object", "required": ["data"], "additionalProperties": False, "properties": {
        "data": {"type": "object", "description": "The form as typed so far; not checked against the form. "
                 "Kept per field of the form: one plain value, or a list of them for a list field; "
                 "unknown keys, file fields and other shapes are left out (listed in `dropped`); "
                 f"at most {DATA_MAX_BYTES // 1024} KB as JSON."}}},
}

_TASK_ID = path_id("task_id", "Task id.")
_INSTANCE_ID = path_id("instance_id", "Case (instance) id.")
_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_INSTANT = {"type": ["string", "null"], "format": "date-time"}


def paths() -> dict[str, Any]:
    """Comments on tasks and cases; the caller's draft of a task's form."""
    created = {"201": json_response(ref("Comment"), "The comment as stored."), "409": PROBLEM}
    return {
        "/tasks/{task_id}/comments": {
            "get": operation("Comments on a task of the caller's departments, oldest first", {
                "200": json_response(list_of(ref("Comment")), "The comments.")}, tag="comments", path=[_TASK_ID]),
            "post": operation("Comment on a task (its people and the starting unit are told)", created,
                              tag="comments", path=[_TASK_ID], body=json_body("CommentRequest")),
        },
        "/instances/{instance_id}/comments": {
            "get": operation("Every comment of a case the caller takes part in, oldest first", {
                "200": json_response(list_of(ref("Comment")), "The comments.")}, tag="comments",
                path=[_INSTANCE_ID]),
            "post": operation("Comment on a case as a whole (not on a withdrawn one)", created, tag="comments",
                              path=[_INSTANCE_ID], body=json_body("CommentRequest")),
        },
        "/tasks/{task_id}/draft": {
            "get": operation("The caller's own draft of a task (404 when none)", {
                "200": json_response(ref("Draft"), "The draft.")}, tag="drafts", path=[_TASK_ID]),
            "put": operation("Keep the form as typed so far as the caller's draft", {
                "200": json_response(ref("Draft"), "The draft as kept."), "403": PROBLEM, "409": PROBLEM},
                tag="drafts", path=[_TASK_ID], body=json_body("DraftRequest")),
            "delete": operation("Throw the caller's draft away", {
                "204": {"description": "Gone (or there was none)."}}, tag="drafts", path=[_TASK_ID]),
        },
    }


def schemas() -> dict[str, Any]:
    """Response schemas of this area, by component name."""
    return {
        "Comment": {"type": "object", "required": ["id", "instance_id", "body", "created_at"], "properties": {
            "id": {"type": "integer"}, "instance_id": {"type": "integer"}, "task_id": {"type": ["integer", "null"]},
            "task": _NSTR, "author": _STR, "author_name": _STR, "department": _NSTR, "department_name": _NSTR,
            "body": _STR, "created_at": _INSTANT}},
        "Draft": {"type": "object", "required": ["task_id", "data", "updated_at"], "properties": {
            "task_id": {"type": "integer"}, "data": {"type": "object"}, "updated_at": _INSTANT,
            "dropped": {"type": "array", "items": _STR, "description": "Sent keys that were left out."}}},
    }
