"""The OpenAPI 3.1 description of ``/api/v1``, served at ``/api/v1/openapi.json``.

A test compares it with the registered routes, so the two cannot drift apart.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from web.api import openapi_escalation

PROBLEM = {"$ref": "#/components/responses/Problem"}


def register(bp: Blueprint) -> None:
    """Serve the document."""
    bp.add_url_rule("/openapi.json", "openapi_document", openapi_document, methods=["GET"])


def openapi_document() -> Response:
    """The API description (no token needed)."""
    return jsonify(document())


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _op(summary: str, responses: dict[str, Any], *, tag: str, params: list[Any] | None = None,
        body: dict[str, Any] | None = None, public: bool = False) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": responses}
    if params:
        operation["parameters"] = params
    if body:
        operation["requestBody"] = body
    if public:
        operation["security"] = []
    return operation


def _path_id(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "integer", "minimum": 1}}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


_PAGING = [
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "Page size."),
    _query("offset", {"type": "integer", "minimum": 0, "default": 0}, "Rows to skip."),
]
_TASK_ID = _path_id("task_id", "Task id.")
_INSTANCE_ID = _path_id("instance_id", "Case (instance) id.")
_KEY = {"name": "key", "in": "path", "required": True, "description": "Process key (the BPMN process id).",
        "schema": {"type": "string"}}
_VERSION = _query("version", {"type": "integer", "minimum": 1}, "Version; the newest when omitted.")


def document() -> dict[str, Any]:
    """The OpenAPI document as a dict."""
    task_action = {"200": _json(_ref("Task"), "The task after the action."), "401": PROBLEM, "403": PROBLEM,
                   "404": PROBLEM, "409": PROBLEM}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "whistle API",
            "version": "1",
            "description": "街乡吹哨、部门报到: start cases, work department inboxes, read shared case records.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/health": {"get": _op("Liveness and database reachability", {
                "200": _json(_ref("Health"), "Healthy."), "503": _json(_ref("Health"), "Database unreachable.")},
                tag="system", public=True)},
            "/openapi.json": {"get": _op("This document", {"200": _json({"type": "object"}, "OpenAPI 3.1.")},
                                         tag="system", public=True)},
            "/me": {"get": _op("The token's user with departments and roles",
                               {"200": _json(_ref("Me"), "The caller."), "401": PROBLEM}, tag="system")},
            "/departments": {"get": _op("Streets, towns, district departments and units", {
                "200": _json(_list(_ref("Department")), "Departments."), "401": PROBLEM}, tag="reference")},
            "/categories": {"get": _op("Problem categories with the departments to summon", {
                "200": _json(_list(_ref("Category")), "Categories."), "401": PROBLEM}, tag="reference")},
            "/definitions": {
                "get": _op("Deployed process versions with running-instance counts", {
                    "200": _json(_list(_ref("Definition")), "Versions."), "401": PROBLEM}, tag="definitions"),
                "post": _op("Deploy a BPMN file (same content: no-op; changed: a new version)", {
                    "200": _json(_ref("Definition"), "Unchanged; the existing version."),
                    "201": _json(_ref("Definition"), "Deployed as a new version."),
                    "401": PROBLEM, "403": PROBLEM, "415": PROBLEM,
                    "422": {"description": "Located problems in the file.",
                            "content": {"application/problem+json": {"schema": _ref("Problem")}}},
                }, tag="definitions", params=[_query("filename", {"type": "string"}, "Name for a raw XML body.")],
                    body={"required": True, "content": {
                        "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                            "file": {"type": "string", "format": "binary", "description": "The .bpmn file."},
                            "forms": {"type": "array", "items": {"type": "string", "format": "binary"},
                                      "description": "Form schemas named <form key>.json."}}}},
                        "application/xml": {"schema": {"type": "string"}}}}),
            },
            "/definitions/{key}": {"get": _op("One version of a process", {
                "200": _json(_ref("Definition"), "The version."), "401": PROBLEM, "404": PROBLEM},
                tag="definitions", params=[_KEY, _VERSION])},
            "/definitions/{key}/bpmn": {"get": _op("Download the BPMN file of a version", {
                "200": {"description": "The BPMN XML.", "content": {"application/xml": {"schema": {"type": "string"}}}},
                "401": PROBLEM, "404": PROBLEM}, tag="definitions", params=[_KEY, _VERSION])},
            "/instances": {
                "get": _op("Cases the caller may see, newest first", {
                    "200": _json(_page(_ref("CaseSummary")), "One page."), "400": PROBLEM, "401": PROBLEM},
                    tag="instances", params=[_query("status", {"enum": ["running", "completed", "cancelled"]},
                                                    "Only cases with this status."), *_PAGING]),
                "post": _op("Start a case (e.g. blow a whistle)", {
                    "201": _json(_ref("Case"), "The new case."), "400": PROBLEM, "401": PROBLEM, "403": PROBLEM,
                    "404": PROBLEM, "422": PROBLEM}, tag="instances",
                    body={"required": True, "content": {"application/json": {"schema": _ref("StartRequest")}}}),
            },
            "/instances/{instance_id}": {"get": _op("A case: data, open tasks, history", {
                "200": _json(_ref("Case"), "The case."), "401": PROBLEM, "404": PROBLEM},
                tag="instances", params=[_INSTANCE_ID])},
            "/instances/{instance_id}/messages": {"post": _op("Deliver a message the case waits for", {
                "200": _json(_ref("Case"), "The case after the message."), "400": PROBLEM, "401": PROBLEM,
                "404": PROBLEM, "409": PROBLEM, "422": PROBLEM}, tag="instances", params=[_INSTANCE_ID],
                body={"required": True, "content": {"application/json": {"schema": _ref("MessageRequest")}}})},
            "/instances/{instance_id}/cancel": {"post": _op("Withdraw a running case (the starting unit or an admin)", {
                "200": _json(_ref("Case"), "The case, now cancelled."), "400": PROBLEM, "401": PROBLEM,
                "403": PROBLEM, "404": PROBLEM, "409": PROBLEM, "422": PROBLEM}, tag="instances",
                params=[_INSTANCE_ID],
                body={"required": True, "content": {"application/json": {"schema": _ref("CancelRequest")}}})},
            "/tasks": {"get": _op("An inbox: the caller's tasks or their departments' queue", {
                "200": _json(_page(_ref("TaskRow")), "One page."), "400": PROBLEM, "401": PROBLEM},
                tag="tasks", params=[
                    _query("scope", {"enum": ["mine", "department"], "default": "department"}, "Whose tasks."),
                    _query("status", {"enum": ["open", "claimed", "completed"], "default": "open"}, "Which tasks."),
                    *_PAGING])},
            "/tasks/{task_id}": {"get": _op("A task with its form schema", {
                "200": _json(_ref("Task"), "The task."), "401": PROBLEM, "404": PROBLEM},
                tag="tasks", params=[_TASK_ID])},
            "/tasks/{task_id}/claim": {"post": _op("Claim a task (exactly one racer wins)", task_action,
                                                   tag="tasks", params=[_TASK_ID])},
            "/tasks/{task_id}/unclaim": {"post": _op("Release a claimed task", task_action, tag="tasks",
                                                     params=[_TASK_ID])},
            "/tasks/{task_id}/complete": {"post": _op("Complete a task with form data", {
                **task_action, "422": PROBLEM}, tag="tasks", params=[_TASK_ID],
                body={"required": True, "content": {"application/json": {"schema": _ref("CompleteRequest")}}})},
            **openapi_escalation.paths(),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "`whistle user token USERNAME` prints a token."}},
            "responses": {"Problem": {"description": "An error (RFC 9457).",
                                      "content": {"application/problem+json": {"schema": _ref("Problem")}}}},
            "schemas": {**_schemas(), **openapi_escalation.schemas()},
        },
    }


def _list(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": item}}}


def _page(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": ["items", "limit", "offset", "next_offset"], "properties": {
        "items": {"type": "array", "items": item}, "limit": {"type": "integer"}, "offset": {"type": "integer"},
        "next_offset": {"type": ["integer", "null"]}}}


_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_INSTANT = {"type": ["string", "null"], "format": "date-time"}


def _schemas() -> dict[str, Any]:
    return {
        "Problem": {"type": "object", "required": ["type", "title", "status", "detail", "code"], "properties": {
            "type": _STR, "title": _STR, "status": {"type": "integer"}, "detail": _STR, "code": _STR,
            "errors": {"type": "array", "items": {"type": "object", "properties": {
                "field": _STR, "message": _STR, "code": _STR}}},
            "problems": {"type": "array", "items": {"type": "object", "properties": {
                "file": _STR, "line": {"type": ["integer", "null"]}, "element": _NSTR, "message": _STR}}},
            "claimed_by": _NSTR}},
        "Health": {"type": "object", "properties": {"status": _STR, "database": _STR}},
        "Me": {"type": "object", "properties": {"username": _STR, "display_name": _STR, "seats": {
            "type": "array", "items": {"type": "object", "properties": {
                "department": _STR, "department_name": _STR, "role": _STR}}}}},
        "Department": {"type": "object", "properties": {"code": _STR, "name": _STR, "short_name": _NSTR,
                                                        "kind": _STR}},
        "Category": {"type": "object", "properties": {
            "code": _STR, "name": _STR, "owner": _STR, "co_owners": {"type": "array", "items": _STR},
            "time_limit": _NSTR, "suggested_departments": {"type": "array", "items": _STR}}},
        "Definition": {"type": "object", "required": ["key", "version", "sha256"], "properties": {
            "key": _STR, "version": {"type": "integer"}, "name": _STR, "filename": _STR, "sha256": _STR,
            "deployed_at": _INSTANT, "forms": {"type": "array", "items": _STR},
            "running_instances": {"type": "integer"}, "created": {"type": "boolean"}}},
        "StartRequest": {"type": "object", "required": ["process"], "properties": {
            "process": {"type": "string", "description": "Process key, e.g. whistle."},
            "data": {"type": "object", "description": "Start form data."},
            "business_key": {"type": "string", "maxLength": 128}}},
        "MessageRequest": {"type": "object", "required": ["name"], "properties": {
            "name": _STR, "payload": {"type": "object"}}},
        "CancelRequest": {"type": "object", "required": ["reason"], "properties": {
            "reason": {"type": "string", "minLength": 2, "maxLength": 500,
                       "description": "Why the case is withdrawn; everyone taking part reads it."}}},
        "CompleteRequest": {"type": "object", "properties": {"data": {"type": "object"}}},
        "TaskRow": {"type": "object", "properties": {
            "id": {"type": "integer"}, "instance_id": {"type": "integer"}, "name": _STR, "element_id": _STR,
            "status": _STR, "role": _NSTR, "context": {"type": "object"}, "department": _NSTR,
            "department_name": _NSTR, "assignee": _NSTR,
            "assignee_name": _NSTR, "case_title": _STR, "process": _STR, "created_at": _INSTANT,
            "claimed_at": _INSTANT, "completed_at": _INSTANT}},
        "Task": {"type": "object", "properties": {
            "id": {"type": "integer"}, "instance_id": {"type": "integer"}, "name": _STR, "element_id": _STR,
            "process_id": _STR, "status": _STR, "role": _NSTR, "department": _NSTR, "assignee": _NSTR,
            "form_key": _NSTR, "properties": {"type": "object"}, "context": {"type": "object"},
            "form": {"type": ["object", "null"]},
            "may_work": {"type": "boolean"}, "created_at": _INSTANT, "claimed_at": _INSTANT,
            "completed_at": _INSTANT}},
        "CaseSummary": {"type": "object", "properties": {
            "id": {"type": "integer"}, "process": _STR, "title": _STR, "status": _STR,
            "created_at": _INSTANT, "updated_at": _INSTANT}},
        "Case": {"type": "object", "properties": {
            "id": {"type": "integer"}, "process": _STR, "version": {"type": "integer"}, "business_key": _NSTR,
            "title": _STR, "status": _STR, "revision": {"type": "integer"}, "data": {"type": "object"},
            "departments": {"type": "array", "items": {"type": "object"}},
            "open_tasks": {"type": "array", "items": {"type": "object"}},
            "tasks": {"type": "array", "items": {"type": "object"}},
            "history": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "integer"}, "action": _STR, "at": _INSTANT, "actor": _NSTR, "actor_name": _NSTR,
                "department": _NSTR, "task_id": {"type": ["integer", "null"]}, "payload": {"type": "object"}}}},
            "created_at": _INSTANT, "updated_at": _INSTANT, "completed_at": _INSTANT}},
    }
