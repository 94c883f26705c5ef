"""API: start cases, read the shared case record, deliver messages."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, url_for
from sqlalchemy.orm import Session

from engine import instances, withdrawal
from engine.access import may_see_instance
from engine.cases import case_record
from engine.models import InstanceStatus
from web.api import payloads
from web.api.auth import current_actor
from web.api.params import json_object
from web.db import now, read_session, services, write
from web.query import ChoiceParam, paging

STATUS = ChoiceParam("status", "Only cases with this status.", choices=tuple(s.value for s in InstanceStatus))
LIMIT, OFFSET = paging(200)
LIST_PARAMS = (STATUS, LIMIT, OFFSET)


def register(bp: Blueprint) -> None:
    """Add the instance routes."""
    bp.add_url_rule("/instances", "list_instances", list_instances, methods=["GET"])
    bp.add_url_rule("/instances", "start_instance", start_instance, methods=["POST"])
    bp.add_url_rule("/instances/<id:instance_id>", "get_instance", get_instance, methods=["GET"])
    bp.add_url_rule("/instances/<id:instance_id>/messages", "send_message", send_message, methods=["POST"])
    bp.add_url_rule("/instances/<id:instance_id>/cancel", "cancel_instance", cancel_instance, methods=["POST"])


def list_instances() -> Response:
    """Cases the caller may see, newest first."""
    chosen = STATUS.read()
    status = InstanceStatus(chosen) if chosen else None
    limit, offset = LIMIT.read() or 0, OFFSET.read() or 0
    rows, more = instances.list_visible(read_session(), current_actor(), status=status, limit=limit, offset=offset)
    return jsonify({
        "items": [
            {"id": i.id, "process": i.process_key, "title": i.title, "status": i.status.value,
             "created_at": payloads.instant(i.created_at), "updated_at": payloads.instant(i.updated_at)}
            for i in rows
        ],
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if more else None,
    })


def start_instance() -> tuple[Response, int, dict[str, str]]:
    """``{"process": KEY, "data": {...}, "business_key": optional}`` -> 201 with the case."""
    body = json_object("StartRequest")
    key: str = body["process"]
    data = body.get("data", {})
    business_key = body.get("business_key")
    confirmed = body.get("confirmed") is True
    actor = current_actor()
    ctx = services().ctx

    def unit(session: Session) -> dict[str, object]:
        instance = instances.start(session, ctx, actor, key, data, now=now(), business_key=business_key,
                                   confirmed=confirmed)
        return _case_json(session, instance.id)

    body_out = write(unit)
    location = url_for("api.get_instance", instance_id=body_out["id"])
    return jsonify(body_out), 201, {"Location": location}


def get_instance(instance_id: int) -> Response:
    """Status, shared data, open tasks and full history of a case the caller takes part in."""
    return jsonify(_case_json(read_session(), instance_id))


def send_message(instance_id: int) -> Response:
    """``{"name": MESSAGE, "payload": {...}}``: deliver a message the case waits for."""
    body = json_object("MessageRequest")
    name: str = body["name"]
    payload = body.get("payload", {})
    actor = current_actor()
    ctx = services().ctx

    def unit(session: Session) -> dict[str, object]:
        instances.deliver_message(session, ctx, actor, instance_id, name, payload, now=now(),
                                  may_see=may_see_instance)
        return _case_json(session, instance_id)

    return jsonify(write(unit))


def cancel_instance(instance_id: int) -> Response:
    """``{"reason": TEXT}``: the starting unit withdraws a running case; its open tasks are cancelled."""
    reason = json_object("CancelRequest")["reason"]
    actor = current_actor()
    ctx = services().ctx

    def unit(session: Session) -> dict[str, object]:
        withdrawal.withdraw(session, ctx, actor, instance_id, reason, now=now())
        return _case_json(session, instance_id)

    return jsonify(write(unit))


def _case_json(session: Session, instance_id: int) -> dict[str, object]:
    record = case_record(session, current_actor(), instance_id)
    version = services().ctx.parts(session, record.instance.definition_id).version
    return payloads.case(record, process_version=version)
