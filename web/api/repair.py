"""API: case repair (suspend, resume, retry, move a token) and version migration, for administrators."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify
from sqlalchemy.orm import Session

from engine import case_migration, incidents, repair
from engine.case_migration import MigrationReport
from web.api import payloads
from web.api.auth import current_actor
from web.api.openapi_repair import FROM, TO
from web.api.params import json_object
from web.db import now, read_session, services, write


def register(bp: Blueprint) -> None:
    """Add the repair and migration routes."""
    bp.add_url_rule("/instances/<id:instance_id>/repair", "case_repair", case_repair, methods=["GET"])
    bp.add_url_rule("/instances/<id:instance_id>/suspend", "suspend_instance", suspend_instance, methods=["POST"])
    bp.add_url_rule("/instances/<id:instance_id>/resume", "resume_instance", resume_instance, methods=["POST"])
    bp.add_url_rule("/instances/<id:instance_id>/retry", "retry_instance", retry_instance, methods=["POST"])
    bp.add_url_rule("/instances/<id:instance_id>/move", "move_token", move_token, methods=["POST"])
    bp.add_url_rule("/definitions/<key>/migrations", "plan_migration", plan_migration, methods=["GET"])
    bp.add_url_rule("/definitions/<key>/migrations", "apply_migration", apply_migration, methods=["POST"])


def case_repair(instance_id: int) -> Response:
    """Where a case stands (its tokens) and where each could move; designers and administrators."""
    return jsonify(_repair_json(read_session(), instance_id))


def suspend_instance(instance_id: int) -> Response:
    """``{"reason": TEXT}``: hold a running case; its tasks, timers and deadline rungs wait."""
    return _act(instance_id, lambda session, reason, body: repair.suspend(
        session, services().ctx, current_actor(), instance_id, reason, now=now()), "RepairRequest")


def resume_instance(instance_id: int) -> Response:
    """``{"reason": TEXT}``: let a suspended case run on."""
    return _act(instance_id, lambda session, reason, body: repair.resume(
        session, services().ctx, current_actor(), instance_id, reason, now=now()), "RepairRequest")


def retry_instance(instance_id: int) -> Response:
    """``{"reason": TEXT, "variables": {...}}``: run the engine on the case again, after setting variables."""
    return _act(instance_id, lambda session, reason, body: repair.retry(
        session, services().ctx, current_actor(), instance_id, reason, now=now(),
        variables=body.get("variables")), "RetryRequest")


def move_token(instance_id: int) -> Response:
    """``{"reason": TEXT, "token": ID, "element": ELEMENT}``: cancel the work at a token, start an element."""
    return _act(instance_id, lambda session, reason, body: repair.move(
        session, services().ctx, current_actor(), instance_id, body["token"], body["element"], reason,
        now=now()), "MoveRequest")


def _act(instance_id: int, action: Any, schema: str) -> Response:
    body = json_object(schema)

    def unit(session: Session) -> dict[str, Any]:
        action(session, body["reason"], body)
        return _repair_json(session, instance_id)

    return jsonify(write(unit))


def _repair_json(session: Session, instance_id: int) -> dict[str, Any]:
    stands = repair.where_it_stands(session, services().ctx, current_actor(), instance_id)
    instance = stands.instance
    parts = services().ctx.parts(session, instance.definition_id)
    return {
        "id": instance.id,
        "status": instance.status.value,
        "process": parts.key,
        "version": parts.version,
        "suspended_at": payloads.instant(instance.suspended_at),
        "next_timer_at": payloads.instant(instance.next_timer_at),
        "tokens": [{"id": t.id, "process_id": t.process_id, "element_id": t.element_id, "name": t.name,
                    "state": t.state, "context": stands.contexts.get(t.id, {})} for t in stands.tokens],
        "targets": {process: [{"element_id": e, "name": n} for e, n in found]
                    for process, found in stands.targets.items()},
        "open_incidents": len(incidents.open_for(session, instance.id)),
    }


def plan_migration(key: str) -> Response:
    """``?from=N&to=M``: the dry run, per running case: which elements map and which do not."""
    frm, to = FROM.read(), TO.read()
    if frm is None or to is None:
        abort(400, description="Query parameters 'from' and 'to' are required.")
    report = case_migration.dry_run(read_session(), services().ctx, current_actor(), key, frm, to, now=now())
    return jsonify(report_json(report))


def apply_migration(key: str) -> Response:
    """``{"from_version", "to_version", "reason", "instances"?}``: migrate the cases that map; list the rest."""
    body = json_object("MigrationRequest")

    def unit(session: Session) -> dict[str, Any]:
        report = case_migration.migrate(session, services().ctx, current_actor(), key, body["from_version"],
                                        body["to_version"], body["reason"], now=now(),
                                        only=body.get("instances"))
        return report_json(report)

    return jsonify(write(unit))


def report_json(report: MigrationReport) -> dict[str, Any]:
    """A dry run or migration as JSON."""
    return {
        "process": report.key, "from_version": report.from_version, "to_version": report.to_version,
        "applied": report.applied, "more": report.more, "migrated": report.migrated,
        "cases": [{
            "id": p.instance_id, "title": p.title, "status": p.status, "maps": p.possible,
            "migrated": p.instance_id in report.migrated, "problem": p.problem,
            "missing_processes": p.missing_processes,
            "elements": [{"process_id": e.process_id, "element_id": e.element_id, "target": e.target,
                          "maps": e.maps, "done": e.done} for e in p.elements],
        } for p in report.plans],
    }
