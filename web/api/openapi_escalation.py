"""The escalation part of the OpenAPI document: overdue board, escalations, stats, extensions."""
from __future__ import annotations

from typing import Any

from web.api import extensions, supervision
from web.api.openapi_parts import (
    PROBLEM,
    json_body,
    json_response,
    list_of,
    operation,
    page_of,
    path_id,
    path_text,
    ref,
)

_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_INSTANT = {"type": ["string", "null"], "format": "date-time"}
_INT = {"type": "integer"}


def paths() -> dict[str, Any]:
    """Paths of the escalation routes."""
    decision = {"200": json_response(ref("Extension"), "The decided request."), "403": PROBLEM, "409": PROBLEM}
    request_id = path_id("request_id", "Request id.")
    return {
        "/overdue": {"get": operation("Tasks past a deadline, the latest first", {
            "200": json_response(page_of(ref("Overdue")), "One page.")},
            tag="supervision", query=supervision.OVERDUE_PARAMS)},
        "/escalations": {"get": operation("Fired ladder rungs, newest first", {
            "200": json_response(page_of(ref("Escalation")), "One page.")},
            tag="supervision", query=supervision.ESCALATION_PARAMS)},
        "/departments/{code}/stats": {"get": operation(
            "Open, overdue, on-time completion rate, median time to sign, 报到率", {
                "200": json_response(ref("DepartmentStats"), "The scores.")},
            tag="supervision", path=[path_text("code", "Department code.")], query=supervision.STATS_PARAMS)},
        "/rates": {"get": operation("A month's rates (三率) per unit and roll-up unit, ranked", {
            "200": json_response(ref("RateBoard"), "The ranking."), "404": PROBLEM},
            tag="supervision", query=supervision.RATES_PARAMS)},
        "/suggestions": {"get": operation("How often the rules' suggestions were taken, by week (人机协同)", {
            "200": json_response({"type": "object", "properties": {
                "weeks": {"type": "array", "items": {"type": "object", "properties": {
                    "start": {"type": "string", "format": "date"}, "suggested": _INT, "agreed": _INT,
                    "rate": {"type": ["number", "null"]}, "learned": _INT, "learned_agreed": _INT}}},
                "overrides": {"type": "array", "items": {"type": "object", "properties": {
                    "field": _STR, "suggested": _STR, "chosen": _STR, "count": _INT}}},
                "models": {"type": "array", "items": {"type": "object", "properties": {
                    "process": _STR, "element": _STR, "decisions": _INT, "classes": _INT,
                    "trained_at": {"type": "string", "format": "date-time"}}}}}}, "The agreement.")},
            tag="supervision", query=supervision.SUGGESTION_PARAMS)},
        "/calendar/warnings": {"get": operation(
            "Years without holiday data that running deadlines reach into", {
                "200": json_response(list_of({"type": "object", "properties": {
                    "year": _INT, "tasks": _INT, "earliest_deadline_at": _INSTANT}}), "Warnings by year.")},
            tag="supervision")},
        "/tasks/{task_id}/deadlines": {"get": operation("Every rung of a task's two clocks", {
            "200": json_response(list_of(ref("Clock")), "The rungs.")},
            tag="tasks", path=[path_id("task_id", "Task id.")])},
        "/tasks/{task_id}/extensions": {"post": operation("Ask for more time on a running clock (延期申请)", {
            "201": json_response(ref("Extension"), "Waiting for the head's decision."), "403": PROBLEM,
            "409": PROBLEM}, tag="extensions", path=[path_id("task_id", "Task id.")],
            body=json_body("ExtensionRequest"))},
        "/extensions": {"get": operation("Requests waiting for the caller's decision", {
            "200": json_response(list_of(ref("Extension")), "Pending requests.")}, tag="extensions")},
        "/extensions/{request_id}/approve": {"post": operation(
            "Approve: the deadline moves", decision, tag="extensions", path=[request_id],
            body=json_body("DecisionRequest", required=False))},
        "/extensions/{request_id}/reject": {"post": operation(
            "Reject: deadlines stay", decision, tag="extensions", path=[request_id],
            body=json_body("DecisionRequest", required=False))},
        "/notifications": {"get": operation("The caller's notifications, newest first", {
            "200": json_response(list_of(ref("Notification")), "Notifications.")},
            tag="notifications", query=extensions.NOTIFICATION_PARAMS)},
        "/notifications/{notification_id}/read": {"post": operation("Mark a notification read", {
            "200": json_response(ref("Notification"), "The notification.")},
            tag="notifications", path=[path_id("notification_id", "Notification id.")])},
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
        "RateBoard": {"type": "object", "required": ["process", "month", "rates", "units", "groups"], "properties": {
            "process": _STR, "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}, "since": _INSTANT,
            "until": _INSTANT, "rates": {"type": "array", "items": {"type": "object", "properties": {
                "code": _STR, "label": _STR, "label_en": _NSTR}}},
            "weights": {"type": "object", "additionalProperties": {"type": "number"}},
            "units": {"type": "array", "items": ref("RankedUnit")},
            "groups": {"type": "array", "items": ref("RankedUnit")},
            "unattributed": _INT}},
        "RankedUnit": {"type": "object", "properties": {
            "rank": {"type": ["integer", "null"]}, "code": _STR, "name": _NSTR,
            "answers": {**_INT, "description": "The unit's answers on the section's form (from_form)."},
            "counted": {**_INT, "description": "Those of them meeting the section's where: the denominator of "
                                               "every rate without its own from_form."},
            "score": {"type": ["number", "null"]},
            "rates": {"type": "object", "description": "By rate code.", "additionalProperties": {
                "type": "object", "properties": {
                    "hits": {**_INT, "description": "The rate's answers meeting its count (the numerator)."},
                    "of": {**_INT, "description": "The rate's own denominator: the answers on its own from_form "
                                                  "meeting its where, or counted when it has none."},
                    "rate": {"type": ["number", "null"], "description": "hits / of (0-1); null when of is 0."}}}}}},
        "Clock": {"type": "object", "properties": {
            "clock": _STR, "rule": _STR, "level": _INT, "action": _STR, "limit": _STR, "started_at": _INSTANT,
            "deadline_at": _INSTANT, "due_at": _INSTANT, "fired_at": _INSTANT, "stopped_at": _INSTANT,
            "missing_holiday_years": {"type": "array", "items": _INT}}},
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
