"""API: start cases, query them, read the shared case record, deliver messages, withdraw."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, url_for
from sqlalchemy.orm import Session

from engine import case_links, case_query, instances, merged_requests, withdrawal
from engine.access import may_see_instance
from engine.cases import case_record
from engine.models import InstanceStatus
from web.api import idempotent, payloads, preconditions
from web.api.auth import current_actor
from web.api.idempotent import Answer
from web.api.list_params import ChoicesParam
from web.api.params import json_object
from web.db import now, read_session, services, write
from web.query import ChoiceParam, InstantParam, TextParam, paging

STATUS = ChoicesParam("status", "Only cases with this status; repeat for several.",
                      choices=tuple(s.value for s in InstanceStatus))
LIMIT, OFFSET = paging(200)
# --- the case query's filters (issue 10): all optional, all combined with AND ---
PROCESS = TextParam("process", "Only cases of this process key.", max_length=128)
BUSINESS_KEY = TextParam("business_key", "Only the case with this business key.", max_length=128)
DEPARTMENT = TextParam("department", "Only cases this department (code) takes part in.", max_length=32)
STREET = TextParam("street", "Only cases started for this unit (code), e.g. the street that blew the whistle.",
                   max_length=32)
STARTED_AFTER = InstantParam("started_after", "Only cases started at or after this instant.")
STARTED_BEFORE = InstantParam("started_before", "Only cases started before this instant.")
TEXT = TextParam("q", "Words that must all appear in the title or the business key.", max_length=100)
SORT = ChoiceParam("sort", "Order (- for descending).", choices=tuple(s.value for s in case_query.Sort),
                   default=case_query.Sort.CREATED_DESC.value)
LIST_PARAMS = (STATUS, PROCESS, BUSINESS_KEY, DEPARTMENT, STREET, STARTED_AFTER, STARTED_BEFORE, TEXT, SORT,
               LIMIT, OFFSET)
# --- end of the case query's filters ---


def register(bp: Blueprint) -> None:
    """Add the instance routes."""
    bp.add_url_rule("/instances", "list_instances", list_instances, methods=["GET"])
    bp.add_url_rule("/instances", "start_instance", start_instance, methods=["POST"])
    bp.add_url_rule("/instances/<id:instance_id>", "get_instance", get_instance, methods=["GET"])
    bp.add_url_rule("/instances/<id:instance_id>/messages", "send_message", send_message, methods=["POST"])
    bp.add_url_rule("/instances/<id:instance_id>/cancel", "cancel_instance", cancel_instance, methods=["POST"])
    bp.add_url_rule("/instances/<id:instance_id>/merge", "merge_request", merge_request, methods=["POST"])


def list_instances() -> Response:
    """Cases the caller may see, filtered, newest first unless sorted otherwise, counted."""
    query = case_query.CaseQuery(
        statuses=tuple(InstanceStatus(s) for s in STATUS.read()), process=PROCESS.read(),
        business_key=BUSINESS_KEY.read(), department=DEPARTMENT.read(), street=STREET.read(),
        started_after=STARTED_AFTER.read(), started_before=STARTED_BEFORE.read(), text=TEXT.read() or "",
        sort=case_query.Sort(SORT.read()))
    limit, offset = LIMIT.read() or 0, OFFSET.read() or 0
    found = case_query.page(read_session(), current_actor(), query, limit=limit, offset=offset)
    return jsonify({
        "items": [payloads.case_summary(r) for r in found.rows],
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if found.more else None,
        "total": found.total,
    })


def start_instance() -> Response:
    """``{"process": KEY, "data": {...}, "business_key": optional}`` -> 201 with the case (once per Idempotency-Key)."""
    body = json_object("StartRequest")
    key: str = body["process"]
    data = body.get("data", {})
    business_key = body.get("business_key")
    confirmed = body.get("confirmed") is True
    linked_from = body.get("linked_from")
    actor = current_actor()
    ctx = services().ctx
    at = now()

    def unit(session: Session) -> Answer:
        instance = instances.start(session, ctx, actor, key, data, now=at, business_key=business_key,
                                   confirmed=confirmed, linked_from=linked_from)
        case = _case_json(session, instance.id)
        return idempotent.answer(201, case, Location=url_for("api.get_instance", instance_id=instance.id),
                                 ETag=_etag(case))

    return idempotent.respond(unit)


def get_instance(instance_id: int) -> Response:
    """Status, shared data, open tasks and full history of a case the caller takes part in; ETag from its revision."""
    case = _case_json(read_session(), instance_id)
    return preconditions.tagged(jsonify(case), _etag(case))


def send_message(instance_id: int) -> Response:
    """``{"name": MESSAGE, "payload": {...}}``: deliver a message the case waits for (If-Match honoured)."""
    body = json_object("MessageRequest")
    name: str = body["name"]
    payload = body.get("payload", {})
    actor = current_actor()
    ctx = services().ctx

    def unit(session: Session) -> dict[str, object]:
        _check_case(session, instance_id)
        instances.deliver_message(session, ctx, actor, instance_id, name, payload, now=now(),
                                  may_see=may_see_instance)
        return _case_json(session, instance_id)

    case = write(unit)
    return preconditions.tagged(jsonify(case), _etag(case))


def cancel_instance(instance_id: int) -> Response:
    """``{"reason": TEXT}``: the starting unit withdraws a running case; its open tasks are cancelled."""
    reason = json_object("CancelRequest")["reason"]
    actor = current_actor()
    ctx = services().ctx

    def unit(session: Session) -> dict[str, object]:
        _check_case(session, instance_id)
        withdrawal.withdraw(session, ctx, actor, instance_id, reason, now=now())
        return _case_json(session, instance_id)

    case = write(unit)
    return preconditions.tagged(jsonify(case), _etag(case))


def merge_request(instance_id: int) -> Response:
    """``{"data": {...}}``: another request for the same problem, kept with the open case (合并工单)."""
    data = json_object("MergeRequest")["data"]
    actor = current_actor()
    ctx = services().ctx

    def unit(session: Session) -> dict[str, object]:
        merged_requests.merge(session, ctx, actor, instance_id, data, now=now())
        return _case_json(session, instance_id)

    case = write(unit)
    return preconditions.tagged(jsonify(case), _etag(case))


def _check_case(session: Session, instance_id: int) -> None:
    preconditions.check_case(session, current_actor(), instance_id)


def _etag(case: dict[str, object]) -> str:
    return preconditions.case_etag(int(str(case["id"])), int(str(case["revision"])))


def _case_json(session: Session, instance_id: int) -> dict[str, object]:
    record = case_record(session, current_actor(), instance_id)
    version = services().ctx.parts(session, record.instance.definition_id).version
    return payloads.case(record, process_version=version, links=case_links.links(session, current_actor(),
                                                                                   record.instance))
