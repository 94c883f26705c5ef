"""API: extension requests (延期申请) and the caller's notifications."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, url_for
from sqlalchemy.orm import Session

from escalation import extensions, notify
from web.api import payloads
from web.api.auth import current_actor
from web.api.params import json_object, optional_json_object
from web.db import now, read_session, services, write
from web.query import ChoiceParam, IntParam

UNREAD = ChoiceParam("unread", "Only unread ones (1) or all (0).", choices=("0", "1"), default="0")
LIMIT = IntParam("limit", "How many.", low=1, high=200, default=50)
NOTIFICATION_PARAMS = (UNREAD, LIMIT)


def register(bp: Blueprint) -> None:
    """Add the extension and notification routes."""
    bp.add_url_rule("/tasks/<id:task_id>/extensions", "request_extension", request_extension, methods=["POST"])
    bp.add_url_rule("/extensions", "list_extensions", list_extensions, methods=["GET"])
    bp.add_url_rule("/extensions/<id:request_id>/approve", "approve_extension", approve_extension,
                    methods=["POST"])
    bp.add_url_rule("/extensions/<id:request_id>/reject", "reject_extension", reject_extension, methods=["POST"])
    bp.add_url_rule("/notifications", "list_notifications", list_notifications, methods=["GET"])
    bp.add_url_rule("/notifications/<id:notification_id>/read", "read_notification", read_notification,
                    methods=["POST"])


def request_extension(task_id: int) -> tuple[Response, int, dict[str, str]]:
    """``{"clock": "complete", "extension": "2wd", "reason": "..."}`` -> 201, pending the head's decision."""
    body = json_object("ExtensionRequest")
    actor = current_actor()

    def unit(session: Session) -> dict[str, object]:
        row = extensions.request(session, services().escalation, actor, task_id, clock=body["clock"],
                                 extension=body["extension"], reason=body["reason"], now=now())
        return payloads.extension(row)

    created = write(unit)
    return jsonify(created), 201, {"Location": url_for("api.list_extensions")}


def list_extensions() -> Response:
    """Requests waiting for the caller's decision (department heads)."""
    rows = extensions.pending_for(read_session(), current_actor())
    return jsonify({"items": [payloads.extension(r, task_name=name, case_title=title) for r, name, title in rows]})


def _decide(request_id: int, approve: bool) -> Response:
    body = optional_json_object("DecisionRequest")
    actor = current_actor()

    def unit(session: Session) -> dict[str, object]:
        row = extensions.decide(session, services().escalation, actor, request_id, approve=approve,
                                note=str(body.get("note", "")), now=now())
        return payloads.extension(row)

    return jsonify(write(unit))


def approve_extension(request_id: int) -> Response:
    """Approve: the clock's deadline moves by the requested extension."""
    return _decide(request_id, True)


def reject_extension(request_id: int) -> Response:
    """Reject: deadlines stay as they are."""
    return _decide(request_id, False)


def list_notifications() -> Response:
    """The caller's notifications, newest first (``?unread=1`` for unread only)."""
    limit, unread = LIMIT.read() or 0, UNREAD.read() == "1"
    rows = notify.notifications_for(read_session(), current_actor().user_id, unread_only=unread, limit=limit)
    return jsonify({"items": [payloads.notification(n) for n in rows]})


def read_notification(notification_id: int) -> Response:
    """Mark a notification read."""
    user_id = current_actor().user_id
    return jsonify(write(lambda s: payloads.notification(notify.mark_read(s, user_id, notification_id, now()))))
