"""API routes for incidents, case repair and migration."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from engine import incidents
from engine.errors import Forbidden
from web.api.auth import current_actor
from web.api.payloads import instant
from web.db import read_session
from web.i18n import translate
from web.query import ChoiceParam, IdParam, TextParam, paging

# -- incidents --------------------------------------------------------------------------------

INCIDENT_STATUS = ChoiceParam("status", "Open (default), resolved or all.", choices=("open", "resolved", "all"),
                              default="open")
INCIDENT_KIND = ChoiceParam("kind", "Only incidents of this kind.", choices=incidents.KINDS)
INCIDENT_PROCESS = TextParam("process", "Only cases of this process key.", max_length=128)
INCIDENT_INSTANCE = IdParam("instance", "Only this case.")
INCIDENT_LIMIT, INCIDENT_OFFSET = paging(200)
INCIDENT_PARAMS = (INCIDENT_STATUS, INCIDENT_KIND, INCIDENT_PROCESS, INCIDENT_INSTANCE, INCIDENT_LIMIT,
                   INCIDENT_OFFSET)


def register(bp: Blueprint) -> None:
    """Add the routes of this area."""
    bp.add_url_rule("/incidents", "list_incidents", list_incidents, methods=["GET"])
    bp.add_url_rule("/incidents/<id:incident_id>", "get_incident", get_incident, methods=["GET"])


def _operator() -> None:
    if not incidents.may_see(current_actor()):
        raise Forbidden("Only designers and administrators see incidents.")


def list_incidents() -> Response:
    """``?status=&kind=&process=&instance=&limit=&offset=``: incidents, the latest seen first, with a total."""
    _operator()
    raw_status = INCIDENT_STATUS.read()
    where = incidents.IncidentFilter(
        status=None if raw_status == "all" else incidents.IncidentStatus(raw_status or "open"),
        kind=INCIDENT_KIND.read(), process_key=INCIDENT_PROCESS.read(), instance_id=INCIDENT_INSTANCE.read())
    limit, offset = INCIDENT_LIMIT.read() or 0, INCIDENT_OFFSET.read() or 0
    rows, total = incidents.listing(read_session(), where, limit=limit, offset=offset)
    return jsonify({"items": [incident(r) for r in rows], "total": total, "limit": limit, "offset": offset,
                    "next_offset": offset + limit if offset + limit < total else None})


def get_incident(incident_id: int) -> Response:
    """One incident with its reason, detail and resolution."""
    _operator()
    return jsonify(incident(incidents.get(read_session(), incident_id)))


def incident(row: incidents.IncidentRow) -> dict[str, Any]:
    """An incident as JSON: the reason as English template, parameters and text in the caller's language."""
    found = row.incident
    return {
        "id": found.id, "instance_id": found.instance_id, "case_title": row.case_title,
        "process": row.process_key, "process_name": row.process_name, "version": row.version,
        "kind": found.kind, "status": found.status.value, "element_id": found.element_id,
        "subject": found.subject, "reason": translate(found.template, incidents.reason_params(found.params)),
        "template": found.template, "params": found.params or {}, "detail": found.detail,
        "occurrences": found.occurrences, "first_seen_at": instant(found.created_at),
        "last_seen_at": instant(found.last_seen_at), "resolved_at": instant(found.resolved_at),
        "resolution": found.resolution,
    }
