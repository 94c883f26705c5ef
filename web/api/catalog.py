"""API: health, the caller, departments and categories (with whom to summon)."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify

from engine import catalog
from web.api.auth import current_actor
from web.db import read_session, services


def register(bp: Blueprint) -> None:
    """Add the reference-data routes."""
    bp.add_url_rule("/health", "health", health, methods=["GET"])
    bp.add_url_rule("/me", "me", me, methods=["GET"])
    bp.add_url_rule("/departments", "list_departments", list_departments, methods=["GET"])
    bp.add_url_rule("/categories", "list_categories", list_categories, methods=["GET"])


def health() -> tuple[Response, int]:
    """Liveness and database reachability (no token needed)."""
    if not services().db.ping():
        return jsonify({"status": "unavailable", "database": "unreachable"}), 503
    return jsonify({"status": "ok", "database": "ok"}), 200


def me() -> Response:
    """Who the token belongs to, with departments and roles."""
    actor = current_actor()
    return jsonify({
        "username": actor.username,
        "display_name": actor.display_name,
        "seats": [{"department": s.department_code, "department_name": s.department_name, "role": s.role}
                  for s in actor.seats],
    })


def list_departments() -> Response:
    """Streets, towns, district departments and units."""
    return jsonify({"items": [
        {"code": d.code, "name": d.name, "short_name": d.short_name, "kind": d.kind}
        for d in catalog.departments(read_session())
    ]})


def list_categories() -> Response:
    """Problem categories with their owners and the departments a whistle should summon."""
    return jsonify({"items": [
        {"code": c.code, "name": c.name, "owner": c.owner, "co_owners": c.co_owners, "time_limit": c.time_limit,
         "suggested_departments": c.suggested_departments}
        for c in catalog.categories(read_session())
    ]})
