"""The OpenAPI 3.1 description of ``/api/v1``, served at ``/api/v1/openapi.json``.

A test compares it with the registered routes, so the two cannot drift apart.
"""
from __future__ import annotations

import re
from functools import cache
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request

from web.api import (
    definitions,
    instances,
    openapi_admin,
    openapi_collaboration,
    openapi_escalation,
    openapi_operate,
    openapi_public,
    openapi_queries,
    openapi_repair,
    openapi_work,
    tasks,
)
from web.api.openapi_parts import (
    PROBLEM,
    json_body,
    json_response,
    list_of,
    operation,
    path_id,
    path_text,
    ref,
)
from web.api.params import BODIES
from web.boundary import MAX_URL_BYTES, printable


def register(bp: Blueprint) -> None:
    """Serve the document."""
    bp.add_url_rule("/openapi.json", "openapi_document", openapi_document, methods=["GET"])


def openapi_document() -> Response:
    """The API description (no token needed)."""
    return jsonify(document())


@cache
def query_names() -> dict[tuple[str, str], frozenset[str]]:
    """The query parameters each operation declares, by (method, document path)."""
    return {(method.upper(), path): frozenset(p["name"] for p in op.get("parameters", []) if p["in"] == "query")
            for path, item in document()["paths"].items() for method, op in item.items()}


def refuse_undeclared_query() -> None:
    """Before each API request: a query parameter the document does not declare is a 400, not silently ignored."""
    if request.url_rule is None or not request.args:
        return
    path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", request.url_rule.rule.removeprefix("/api/v1"))
    method = "GET" if request.method == "HEAD" else request.method
    declared = query_names().get((method, path), frozenset())
    unknown = sorted(set(request.args) - declared)
    if unknown:
        abort(400, description=f"Unknown query parameter '{printable(unknown[0], 40)}'; this operation takes: "
                               f"{', '.join(sorted(declared)) or 'none'}.")


_TASK_ID = path_id("task_id", "Task id.")
_INSTANCE_ID = path_id("instance_id", "Case (instance) id.")
_KEY = path_text("key", "Process key (the BPMN process id).")


def _task_action(summary: str, *, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """A task action: If-Match and Idempotency-Key honoured, the task with its ETag in the answer."""
    responses = {"200": json_response(ref("Task"), "The task after the action."), "403": PROBLEM, "409": PROBLEM}
    return openapi_queries.idempotent(openapi_queries.if_match(operation(summary, responses, tag="tasks",
                                                                         path=[_TASK_ID], body=body)))


def document() -> dict[str, Any]:
    """The OpenAPI document as a dict."""
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
            "/health": {"get": operation("Liveness and database reachability", {
                "200": json_response(ref("Health"), "Healthy."),
                "503": json_response(ref("Health"), "Database unreachable.")}, tag="system", public=True)},
            "/openapi.json": {"get": operation("This document", {
                "200": json_response({"type": "object"}, "OpenAPI 3.1.")}, tag="system", public=True)},
            "/me": {"get": operation("The token's user with departments and roles",
                                     {"200": json_response(ref("Me"), "The caller.")}, tag="system")},
            "/departments": {"get": operation("Streets, towns, district departments and units", {
                "200": json_response(list_of(ref("Department")), "Departments.")}, tag="reference")},
            "/categories": {"get": operation("Problem categories with the departments to summon", {
                "200": json_response(list_of(ref("Category")), "Categories.")}, tag="reference")},
            "/definitions": {
                "get": operation("Deployed process versions with running-instance counts", {
                    "200": json_response(list_of(ref("Definition")), "Versions.")}, tag="definitions"),
                "post": operation("Deploy a BPMN file (same content: no-op; changed: a new version)", {
                    "200": json_response(ref("Definition"), "Unchanged; the existing version."),
                    "201": json_response(ref("Definition"), "Deployed as a new version."),
                    "403": PROBLEM,
                    "422": {"description": "Located problems in the file, or bad characters in a field.",
                            "content": {"application/problem+json": {"schema": ref("Problem")}}},
                }, tag="definitions", query=[definitions.FILENAME], body={"required": True, "content": {
                    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                        "file": {"type": "string", "format": "binary", "description": "The .bpmn file."},
                        "forms": {"type": "array", "items": {"type": "string", "format": "binary"},
                                  "description": "Form schemas named <form key>.json."}}}},
                    "application/xml": {"schema": {"type": "string"}}}}),
            },
            "/definitions/{key}": {"get": operation("One version of a process", {
                "200": json_response(ref("Definition"), "The version.")},
                tag="definitions", path=[_KEY], query=[definitions.VERSION])},
            "/definitions/{key}/bpmn": {"get": operation("Download the BPMN file of a version", {
                "200": {"description": "The BPMN XML.",
                        "content": {"application/xml": {"schema": {"type": "string"}}}}},
                tag="definitions", path=[_KEY], query=[definitions.VERSION])},
            "/instances": {
                "get": operation("Cases the caller may see: filtered, newest first unless sorted, counted", {
                    "200": json_response(openapi_queries.counted_page(ref("CaseSummary")), "One page.")},
                    tag="instances", query=instances.LIST_PARAMS),
                "post": openapi_queries.idempotent(openapi_queries.etagged(operation(
                    "Start a case (e.g. blow a whistle)", {
                        "201": json_response(ref("Case"), "The new case."), "403": PROBLEM, "404": PROBLEM},
                    tag="instances", body=json_body("StartRequest")), "201")),
            },
            "/instances/{instance_id}": {"get": openapi_queries.etagged(operation(
                "A case: data, open tasks, history", {"200": json_response(ref("Case"), "The case.")},
                tag="instances", path=[_INSTANCE_ID]))},
            "/instances/{instance_id}/messages": {"post": openapi_queries.if_match(operation(
                "Deliver a message the case waits for", {
                    "200": json_response(ref("Case"), "The case after the message."), "409": PROBLEM},
                tag="instances", path=[_INSTANCE_ID], body=json_body("MessageRequest")))},
            "/instances/{instance_id}/merge": {"post": operation(
                "Merge another request for the same problem into an open case (合并工单)", {
                    "200": json_response(ref("Case"), "The case, with the request in its history."),
                    "403": PROBLEM, "404": PROBLEM, "409": PROBLEM, "422": PROBLEM},
                tag="instances", path=[_INSTANCE_ID], body=json_body("MergeRequest"))},
            "/instances/{instance_id}/cancel": {"post": openapi_queries.if_match(operation(
                "Withdraw a running case (the starting unit or an admin)", {
                    "200": json_response(ref("Case"), "The case, now cancelled."), "403": PROBLEM, "409": PROBLEM},
                tag="instances", path=[_INSTANCE_ID], body=json_body("CancelRequest")))},
            "/tasks": {"get": operation("Task query: the caller's tasks or their departments', filtered, sorted, "
                                        "counted", {
                "200": json_response(openapi_queries.counted_page(ref("TaskRow")), "One page.")}, tag="tasks",
                query=tasks.LIST_PARAMS)},
            "/tasks/{task_id}": {"get": openapi_queries.etagged(operation("A task with its form schema", {
                "200": json_response(ref("Task"), "The task.")}, tag="tasks", path=[_TASK_ID]))},
            "/tasks/{task_id}/claim": {"post": _task_action("Claim a task (exactly one racer wins)")},
            "/tasks/{task_id}/unclaim": {"post": _task_action("Release a claimed task")},
            "/tasks/{task_id}/complete": {"post": _task_action("Complete a task with form data",
                                                               body=json_body("CompleteRequest"))},
            **openapi_escalation.paths(),
            **openapi_operate.paths(),
            **openapi_work.paths(),
            **openapi_collaboration.paths(),
            **openapi_queries.paths(),
            **openapi_admin.paths(),
            **openapi_repair.paths(),
            **openapi_public.paths(),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "`whistle user token USERNAME` prints a token."}},
            "responses": {
                "Problem": {"description": "An error (RFC 9457).",
                            "content": {"application/problem+json": {"schema": ref("Problem")}}},
                "UriTooLong": {"description": f"Path and query longer than {MAX_URL_BYTES} bytes (gunicorn in "
                                              "front answers request lines over 4094 bytes itself, as HTML).",
                               "content": {"application/problem+json": {"schema": ref("Problem")},
                                           "text/html": {"schema": {"type": "string"}}}}},
            "schemas": {**_schemas(), **openapi_escalation.schemas(), **openapi_operate.schemas(),
                        **openapi_work.schemas(), **openapi_collaboration.schemas(), **openapi_queries.schemas(),
                        **openapi_admin.schemas(), **openapi_repair.schemas(), **openapi_public.schemas(),
                        **BODIES},
        },
    }


_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_INSTANT = {"type": ["string", "null"], "format": "date-time"}


# Located problems of a deployable file: errors refuse a deploy, warnings are only shown.
_LOCATED = {"type": "array", "items": {"type": "object", "properties": {
    "file": {"type": "string"}, "line": {"type": ["integer", "null"]}, "element": {"type": ["string", "null"]},
    "severity": {"type": "string", "enum": ["error", "warning"]}, "message": {"type": "string"}}}}


def _schemas() -> dict[str, Any]:
    return {
        "Problem": {"type": "object", "required": ["type", "title", "status", "detail", "code"], "properties": {
            "type": _STR, "title": _STR, "status": {"type": "integer"}, "detail": _STR, "code": _STR,
            "errors": {"type": "array", "items": {"type": "object", "properties": {
                "field": _STR, "message": _STR, "code": _STR}}},
            "problems": _LOCATED, "warnings": _LOCATED,
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
            "running_instances": {"type": "integer"}, "created": {"type": "boolean"},
            "warnings": {**_LOCATED, "description": "After a deploy: what the structural check warns about "
                                                    "(the deploy went ahead)."}}},
        "TaskRow": {"type": "object", "properties": {
            "id": {"type": "integer"}, "instance_id": {"type": "integer"}, "name": _STR, "element_id": _STR,
            "status": _STR, "role": _NSTR, "context": {"type": "object"}, "department": _NSTR,
            "department_name": _NSTR, "assignee": _NSTR,
            "assignee_name": _NSTR, "case_title": _STR, "process": _STR, "created_at": _INSTANT,
            "claimed_at": _INSTANT, "completed_at": _INSTANT,
            "due_at": {**_INSTANT, "description": "The current deadline: the earliest of the running clocks."}}},
        "Task": {"type": "object", "properties": {
            "id": {"type": "integer"}, "instance_id": {"type": "integer"}, "name": _STR, "element_id": _STR,
            "process_id": _STR, "status": _STR, "role": _NSTR, "department": _NSTR, "assignee": _NSTR,
            "form_key": _NSTR, "properties": {"type": "object"}, "context": {"type": "object"},
            "form": {"type": ["object", "null"]},
            "may_work": {"type": "boolean"}, "created_at": _INSTANT, "claimed_at": _INSTANT,
            "completed_at": _INSTANT}},
        "CaseSummary": {"type": "object", "properties": {
            "id": {"type": "integer"}, "process": _STR, "business_key": _NSTR, "title": _STR, "status": _STR,
            "street": {**_NSTR, "description": "Code of the unit the case was started for."},
            "revision": {"type": "integer"}, "created_at": _INSTANT, "updated_at": _INSTANT,
            "completed_at": _INSTANT}},
        "Case": {"type": "object", "properties": {
            "id": {"type": "integer"}, "process": _STR, "version": {"type": "integer"}, "business_key": _NSTR,
            "title": _STR, "status": _STR, "revision": {"type": "integer"}, "data": {"type": "object"},
            "departments": {"type": "array", "items": {"type": "object"}},
            "open_tasks": {"type": "array", "items": {"type": "object"}},
            "tasks": {"type": "array", "items": {"type": "object"}},
            "history": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "integer"}, "action": _STR, "at": _INSTANT, "actor": _NSTR, "actor_name": _NSTR,
                "department": _NSTR, "task_id": {"type": ["integer", "null"]}, "payload": {"type": "object"}}}},
            "linked_from": {"type": ["integer", "null"],
                            "description": "The case this one was started from (null: none, or not yours to see)."},
            "linked_cases": {"type": "array", "items": {"type": "integer"},
                             "description": "The cases started from this one that you may see, newest first."},
            "created_at": _INSTANT, "updated_at": _INSTANT, "completed_at": _INSTANT}},
    }
