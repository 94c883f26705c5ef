"""The OpenAPI part for incidents, case repair and migration: paths, response schemas and request bodies."""
from __future__ import annotations

from typing import Any

from engine import incidents
from web.api import operate
from web.api.openapi_parts import PROBLEM, json_response, operation, path_id, ref

# Request bodies of this area, by component name (validated by web.api.params.json_object).
BODIES: dict[str, dict[str, Any]] = {}

_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_INT = {"type": "integer"}
_INSTANT = {"type": ["string", "null"], "format": "date-time"}


def paths() -> dict[str, Any]:
    """Incidents and case repair (suspend, resume, retry, move) and version migration."""
    return {
        "/incidents": {"get": operation("Cases that cannot go on (designers and admins), the latest seen first", {
            "200": json_response(_incident_page(), "One page, with the total."), "403": PROBLEM},
            tag="incidents", query=operate.INCIDENT_PARAMS)},
        "/incidents/{incident_id}": {"get": operation("One incident", {
            "200": json_response(ref("Incident"), "The incident."), "403": PROBLEM},
            tag="incidents", path=[path_id("incident_id", "Incident id.")])},
    }


def _incident_page() -> dict[str, Any]:
    return {"type": "object", "required": ["items", "total", "limit", "offset", "next_offset"], "properties": {
        "items": {"type": "array", "items": ref("Incident")}, "total": _INT, "limit": _INT, "offset": _INT,
        "next_offset": {"type": ["integer", "null"]}}}


def schemas() -> dict[str, Any]:
    """Response schemas of this area, by component name."""
    return {
        "Incident": {"type": "object", "properties": {
            "id": _INT, "instance_id": _INT, "case_title": _STR, "process": _STR, "process_name": _STR,
            "version": _INT, "kind": {"enum": list(incidents.KINDS)}, "status": {"enum": ["open", "resolved"]},
            "element_id": _NSTR, "subject": _NSTR, "reason": _STR, "template": _STR, "params": {"type": "object"},
            "detail": _NSTR, "occurrences": _INT, "first_seen_at": _INSTANT, "last_seen_at": _INSTANT,
            "resolved_at": _INSTANT, "resolution": _NSTR}},
    }
