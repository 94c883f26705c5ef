"""The OpenAPI part for case repair and version migration: paths, response schemas and request bodies."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web.api.openapi_parts import PROBLEM, json_body, json_response, operation, path_id, path_text, ref
from web.query import IntParam

VERSION_HIGH = 1_000_000


@dataclass(frozen=True)
class RequiredIntParam(IntParam):
    """An integer query parameter the operation cannot do without (400 when absent)."""

    def spec(self) -> dict[str, Any]:
        """The parameter object, marked required."""
        return {**super().spec(), "required": True}


FROM = RequiredIntParam("from", "The version the cases run on.", low=1, high=VERSION_HIGH)
TO = RequiredIntParam("to", "The version to move them to.", low=1, high=VERSION_HIGH)

_REASON = {"type": "string", "minLength": 2, "maxLength": 500,
           "description": "Why; kept in the case history with the administrator's name."}

# Request bodies of this area, by component name (validated by web.api.params.json_object).
BODIES: dict[str, dict[str, Any]] = {
    "RepairRequest": {"type": "object", "required": ["reason"], "properties": {"reason": _REASON}},
    "RetryRequest": {"type": "object", "required": ["reason"], "properties": {
        "reason": _REASON,
        "variables": {"type": "object", "maxProperties": 50,
                      "description": "Top-level case variables to set first (names: letters, digits, _; "
                                     "at most 10 kB of JSON)."}}},
    "MoveRequest": {"type": "object", "required": ["reason", "token", "element"], "properties": {
        "reason": _REASON,
        "token": {"type": "string", "minLength": 1, "maxLength": 64,
                  "description": "Where the case stands: a token id from GET /instances/{id}/repair."},
        "element": {"type": "string", "minLength": 1, "maxLength": 255,
                    "description": "The element to start, in the token's process."}}},
    "MigrationRequest": {"type": "object", "required": ["from_version", "to_version", "reason"], "properties": {
        "from_version": {"type": "integer", "minimum": 1, "maximum": VERSION_HIGH},
        "to_version": {"type": "integer", "minimum": 1, "maximum": VERSION_HIGH},
        "reason": _REASON,
        "instances": {"type": "array", "maxItems": 500, "items": {"type": "integer", "minimum": 1,
                                                                  "maximum": 2**31 - 1},
                      "description": "Only these cases (default: every running case of from_version)."}}},
}

_INSTANCE_ID = path_id("instance_id", "Case (instance) id.")
_KEY = path_text("key", "Process key (the BPMN process id).")
_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}


def _action(summary: str, body: str) -> dict[str, Any]:
    return {"post": operation(summary, {
        "200": json_response(ref("CaseRepair"), "Where the case stands after the action."),
        "403": PROBLEM, "409": PROBLEM}, tag="operate", path=[_INSTANCE_ID], body=json_body(body))}


def paths() -> dict[str, Any]:
    """Suspend, resume, retry, move a token; plan and apply a migration."""
    return {
        "/instances/{instance_id}/repair": {"get": operation(
            "Where a case stands and where its tokens could move (designers and administrators)", {
                "200": json_response(ref("CaseRepair"), "The case's tokens.")},
            tag="operate", path=[_INSTANCE_ID])},
        "/instances/{instance_id}/suspend": _action("Suspend a running case (administrators, with a reason)",
                                                    "RepairRequest"),
        "/instances/{instance_id}/resume": _action("Resume a suspended case", "RepairRequest"),
        "/instances/{instance_id}/retry": _action("Run the engine on a case again, optionally after setting "
                                                  "variables; resolves its incidents if it moves", "RetryRequest"),
        "/instances/{instance_id}/move": _action("Cancel the work at a token and start an element instead",
                                                 "MoveRequest"),
        "/definitions/{key}/migrations": {
            "get": operation("Dry run: per running case of one version, what maps onto another and what not", {
                "200": json_response(ref("MigrationReport"), "The plan; nothing changed."), "403": PROBLEM},
                tag="operate", path=[_KEY], query=(FROM, TO)),
            "post": operation("Migrate the cases that map (each on its own); the others stay, listed", {
                "200": json_response(ref("MigrationReport"), "What moved and what stayed, with reasons."),
                "403": PROBLEM}, tag="operate", path=[_KEY], body=json_body("MigrationRequest")),
        },
    }


def schemas() -> dict[str, Any]:
    """Response schemas of this area, by component name."""
    element = {"type": "object", "properties": {
        "process_id": _STR, "element_id": _STR, "target": _NSTR, "maps": {"type": "boolean"},
        "done": {"type": "boolean", "description": "A step of the case's history (not where it stands now)."}}}
    return {
        "CaseRepair": {"type": "object", "properties": {
            "id": {"type": "integer"}, "status": _STR, "process": _STR, "version": {"type": "integer"},
            "suspended_at": {"type": ["string", "null"], "format": "date-time"},
            "next_timer_at": {"type": ["string", "null"], "format": "date-time"},
            "tokens": {"type": "array", "items": {"type": "object", "properties": {
                "id": _STR, "process_id": _STR, "element_id": _STR, "name": _STR,
                "state": {"enum": ["ready", "waiting", "started", "error", "dead_end"]},
                "context": {"type": "object"}}}},
            "targets": {"type": "object", "additionalProperties": {"type": "array", "items": {
                "type": "object", "properties": {"element_id": _STR, "name": _STR}}}},
            "open_incidents": {"type": "integer"}}},
        "MigrationReport": {"type": "object", "properties": {
            "process": _STR, "from_version": {"type": "integer"}, "to_version": {"type": "integer"},
            "applied": {"type": "boolean"}, "more": {"type": "boolean",
                                                     "description": "More cases wait than one batch takes."},
            "migrated": {"type": "array", "items": {"type": "integer"}},
            "cases": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "integer"}, "title": _STR, "status": _STR, "maps": {"type": "boolean"},
                "migrated": {"type": "boolean"}, "problem": _NSTR,
                "missing_processes": {"type": "array", "items": _STR},
                "elements": {"type": "array", "items": element}}}}}},
    }
