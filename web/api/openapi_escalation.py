"""The escalation part of the OpenAPI document: overdue board, escalations, stats, extensions."""
from __future__ import annotations

from typing import Any

PROBLEM = {"$ref": "#/components/responses/Problem"}
_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_INSTANT = {"type": ["string", "null"], "format": "date-time"}
_INT = {"type": "integer"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _ok(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _path(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": schema or {"type": "integer", "minimum": 1}}


def _page(item: str) -> dict[str, Any]:
    return {"type": "object", "properties": {"items": {"type": "array", "items": _ref(item)}, "limit": _INT,
                                             "offset": _INT, "next_offset": {"type": ["integer", "null"]}}}


def _items(item: str) -> dict[str, Any]:
    return {"type": "object", "properties": {"items": {"type": "array", "items": _ref(item)}}}


_PAGING = [_query("limit", {"type": "integer", "minimum": 1, "maximum": 500}, "Page size."),
           _query("offset", {"type": "integer", "minimum": 0}, "Rows to skip.")]
_DEPARTMENT = _query("department", _STR, "Only this department (others see only their own).")
_LEVEL = _query("level", {"type": "integer", "minimum": 1}, "Only rows at or past this ladder level.")
_NOTE_BODY = {"required": False, "content": {"application/json": {"schema": {
    "type": "object", "properties": {"note": _STR}}}}}


def paths() -> dict[str, Any]:
    """Paths of the escalation routes."""
    decision = {"200": _ok(_ref("Extension"), "The decided request."), "401": PROBLEM, "403": PROBLEM,
                "404": PROBLEM, "409": PROBLEM}
    return {
        "/overdue": {"get": {"summary": "Tasks past a deadline, the latest first", "tags": ["supervision"],
                             "parameters": [_DEPARTMENT, _query("street", _STR, "Only cases of this street."),
                                            _query("category", _STR, "Only this problem category."), _LEVEL,
                                            *_PAGING],
                             "responses": {"200": _ok(_page("Overdue"), "One page."), "400": PROBLEM,
                                           "401": PROBLEM}}},
        "/escalations": {"get": {"summary": "Fired ladder rungs, newest first", "tags": ["supervision"],
                                 "parameters": [_DEPARTMENT, _query("instance", _INT, "Only this case."), _LEVEL,
                                                *_PAGING],
                                 "responses": {"200": _ok(_page("Escalation"), "One page."), "400": PROBLEM,
                                               "401": PROBLEM}}},
        "/departments/{code}/stats": {"get": {
            "summary": "Open, overdue, on-time completion rate, median time to sign, 报到率", "tags": ["supervision"],
            "parameters": [_path("code", "Department code.", _STR),
                           _query("since", {"type": "string", "format": "date-time"}, "Rates over tasks since.")],
            "responses": {"200": _ok(_ref("DepartmentStats"), "The scores."), "400": PROBLEM, "401": PROBLEM,
                          "404": PROBLEM}}},
        "/calendar/warnings": {"get": {
            "summary": "Years without holiday data that running deadlines reach into", "tags": ["supervision"],
            "responses": {"200": _ok({"type": "object", "properties": {"items": {"type": "array", "items": {
                "type": "object", "properties": {"year": _INT, "tasks": _INT, "earliest_deadline_at": _INSTANT}}}}},
                "Warnings by year."), "401": PROBLEM}}},
        "/tasks/{task_id}/deadlines": {"get": {
            "summary": "Every rung of a task's two clocks", "tags": ["tasks"],
            "parameters": [_path("task_id", "Task id.")],
            "responses": {"200": _ok(_items("Clock"), "The rungs."), "401": PROBLEM, "404": PROBLEM}}},
        "/tasks/{task_id}/extensions": {"post": {
            "summary": "Ask for more time on a running clock (延期申请)", "tags": ["extensions"],
            "parameters": [_path("task_id", "Task id.")],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("ExtensionRequest")}}},
            "responses": {"201": _ok(_ref("Extension"), "Waiting for the head's decision."), "401": PROBLEM,
                          "403": PROBLEM, "404": PROBLEM, "409": PROBLEM, "422": PROBLEM}}},
        "/extensions": {"get": {"summary": "Requests waiting for the caller's decision", "tags": ["extensions"],
                                "responses": {"200": _ok(_items("Extension"), "Pending requests."),
                                              "401": PROBLEM}}},
        "/extensions/{request_id}/approve": {"post": {
            "summary": "Approve: the deadline moves", "tags": ["extensions"],
            "parameters": [_path("request_id", "Request id.")], "requestBody": _NOTE_BODY, "responses": decision}},
        "/extensions/{request_id}/reject": {"post": {
            "summary": "Reject: deadlines stay", "tags": ["extensions"],
            "parameters": [_path("request_id", "Request id.")], "requestBody": _NOTE_BODY, "responses": decision}},
        "/notifications": {"get": {
            "summary": "The caller's notifications, newest first", "tags": ["notifications"],
            "parameters": [_query("unread", {"enum": ["0", "1"]}, "Only unread ones."),
                           _query("limit", {"type": "integer", "minimum": 1, "maximum": 200}, "How many.")],
            "responses": {"200": _ok(_items("Notification"), "Notifications."), "401": PROBLEM}}},
        "/notifications/{notification_id}/read": {"post": {
            "summary": "Mark a notification read", "tags": ["notifications"],
            "parameters": [_path("notification_id", "Notification id.")],
            "responses": {"200": _ok(_ref("Notification"), "The notification."), "401": PROBLEM,
                          "404": PROBLEM}}},
    }


def schemas() -> dict[str, Any]:
    """Component schemas of the escalation routes."""
    return {
        "Overdue": {"type": "object", "properties": {
            "task_id": _INT, "instance_id": _INT, "case_title": _STR, "task_name": _STR, "department": _NSTR,
            "department_name": _NSTR, "street": _NSTR, "category": _NSTR, "clock": _STR, "rule": _STR,
            "deadline_at": _INSTANT, "lateness_seconds": {"type": "number"}, "level": _INT, "assignee": _NSTR,
            "missing_holiday_years": {"type": "array", "items": _INT}}},
        "Escalation": {"type": "object", "properties": {
            "id": _INT, "instance_id": _INT, "task_id": _INT, "task_name": _STR, "department": _NSTR,
            "clock": _STR, "level": _INT, "action": _STR, "due_at": _INSTANT, "fired_at": _INSTANT,
            "targets": {"type": "array", "items": _STR}}},
        "DepartmentStats": {"type": "object", "properties": {
            "department": _STR, "open": _INT, "overdue": _INT, "completed": _INT,
            "on_time_completion_rate": {"type": ["number", "null"]},
            "median_time_to_sign_seconds": {"type": ["number", "null"]},
            "report_in_rate": {"type": ["number", "null"]}}},
        "Clock": {"type": "object", "properties": {
            "clock": _STR, "rule": _STR, "level": _INT, "action": _STR, "limit": _STR, "started_at": _INSTANT,
            "deadline_at": _INSTANT, "due_at": _INSTANT, "fired_at": _INSTANT, "stopped_at": _INSTANT,
            "missing_holiday_years": {"type": "array", "items": _INT}}},
        "ExtensionRequest": {"type": "object", "required": ["clock", "extension", "reason"], "properties": {
            "clock": {"enum": ["report_in", "complete"]}, "extension": {"type": "string", "examples": ["2wd"]},
            "reason": {"type": "string", "minLength": 2, "maxLength": 1000}}},
        "Extension": {"type": "object", "properties": {
            "id": _INT, "task_id": _INT, "instance_id": _INT, "clock": _STR, "extension": _STR, "reason": _STR,
            "status": {"enum": ["pending", "approved", "rejected"]}, "requested_at": _INSTANT,
            "decided_at": _INSTANT, "decision_note": _NSTR, "old_deadline_at": _INSTANT,
            "new_deadline_at": _INSTANT, "task_name": _STR, "case_title": _STR}},
        "Notification": {"type": "object", "properties": {
            "id": _INT, "kind": _STR, "message": _STR, "template": _STR, "params": {"type": "object"},
            "instance_id": {"type": ["integer", "null"]}, "task_id": {"type": ["integer", "null"]},
            "created_at": _INSTANT, "read_at": _INSTANT}},
    }
