"""The OpenAPI part for work distribution: paths, response schemas and request bodies."""
from __future__ import annotations

from typing import Any

from engine.task_assignment import NOTE_MAX, USERNAME_MAX
from engine.whistle_changes import REASON_MAX, REASON_MIN
from web.api.openapi_parts import PROBLEM, json_body, json_response, list_of, operation, path_id, ref
from web.api.openapi_queries import idempotent, if_match

_HAND_OVER = {"type": "object", "required": ["user"], "additionalProperties": False, "properties": {
    "user": {"type": "string", "minLength": 1, "maxLength": USERNAME_MAX,
             "description": "Login name of a colleague of the task's department who may work on it."},
    "note": {"type": "string", "maxLength": NOTE_MAX, "description": "Why, for the colleague (shown in the notice)."}}}

# Request bodies of this area, by component name (validated by web.api.params.json_object).
BODIES: dict[str, dict[str, Any]] = {
    "AssignRequest": _HAND_OVER,
    "DelegateRequest": _HAND_OVER,
    "AddDepartmentRequest": {"type": "object", "required": ["department", "reason"], "additionalProperties": False,
                             "properties": {
        "department": {"type": "string", "minLength": 1, "maxLength": 32,
                       "description": "Code of a district department not already working on the whistle."},
        "reason": {"type": "string", "minLength": REASON_MIN, "maxLength": REASON_MAX,
                   "description": "Why it is summoned; everyone on the case reads it."}}},
}


def paths() -> dict[str, Any]:
    """Assigning and delegating tasks, a task's colleagues, adding a department to a running whistle."""
    task_id = path_id("task_id", "Task id.")
    moved = {"200": json_response(ref("Task"), "The task, now held by the colleague."), "403": PROBLEM,
             "409": PROBLEM}
    return {
        "/tasks/{task_id}/assign": {"post": idempotent(if_match(operation(
            "Assign a task to a colleague (指派; the department's dispatcher or head)", moved, tag="tasks",
            path=[task_id], body=json_body("AssignRequest"))))},
        "/tasks/{task_id}/delegate": {"post": idempotent(if_match(operation(
            "Pass a held task on to a colleague (转交; its holder, a dispatcher or head)", moved, tag="tasks",
            path=[task_id], body=json_body("DelegateRequest"))))},
        "/tasks/{task_id}/candidates": {"get": operation(
            "The colleagues who may work on a task", {"200": json_response(ref("Candidates"), "The colleagues.")},
            tag="tasks", path=[task_id])},
        "/instances/{instance_id}/departments": {"post": operation(
            "Summon one more department to a running whistle (追加召集部门; the street's duty officers)", {
                "200": json_response(ref("Case"), "The case, with the new department's 签收 open."),
                "403": PROBLEM, "409": PROBLEM},
            tag="instances", path=[path_id("instance_id", "Case id.")], body=json_body("AddDepartmentRequest"))},
    }


def schemas() -> dict[str, Any]:
    """Response schemas of this area, by component name."""
    colleague = {"type": "object", "required": ["username", "display_name", "roles", "holds_it"], "properties": {
        "username": {"type": "string"}, "display_name": {"type": "string"},
        "roles": {"type": "array", "items": {"type": "string"}}, "holds_it": {"type": "boolean"}}}
    listed = list_of(colleague)
    listed["required"] = ["items", "may_assign", "may_delegate"]
    listed["properties"] |= {"may_assign": {"type": "boolean"}, "may_delegate": {"type": "boolean"}}
    return {"Candidates": listed}
