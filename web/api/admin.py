"""API routes for user administration: users, seats, passwords, tokens and sessions (administrators only)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from engine import user_admin, user_listing
from engine.user_admin import NewToken
from engine.user_listing import SeatView, TokenView, UserDetail, UserSummary
from web.api.auth import current_actor
from web.api.openapi_admin import ACTIVE, DEPARTMENT, LIMIT, OFFSET, ROLE, TEXT
from web.api.params import json_object, optional_json_object
from web.api.payloads import instant
from web.db import now, read_session, services, write


def register(bp: Blueprint) -> None:
    """Add the routes of this area."""
    bp.add_url_rule("/users", "list_users", list_users, methods=["GET"])
    bp.add_url_rule("/users", "create_user", create_user, methods=["POST"])
    bp.add_url_rule("/users/<username:username>", "get_user", get_user, methods=["GET"])
    bp.add_url_rule("/users/<username:username>", "update_user", update_user, methods=["PATCH"])
    bp.add_url_rule("/users/<username:username>/seats", "add_seat", add_seat, methods=["POST"])
    bp.add_url_rule("/users/<username:username>/seats", "remove_seat", remove_seat, methods=["DELETE"])
    bp.add_url_rule("/users/<username:username>/password", "reset_password", reset_password, methods=["POST"])
    bp.add_url_rule("/users/<username:username>/tokens", "list_tokens", list_tokens, methods=["GET"])
    bp.add_url_rule("/users/<username:username>/tokens", "issue_token", issue_token, methods=["POST"])
    bp.add_url_rule("/users/<username:username>/tokens/<id:token_id>", "revoke_token", revoke_token,
                    methods=["DELETE"])
    bp.add_url_rule("/users/<username:username>/revoke", "revoke_access", revoke_access, methods=["POST"])


def list_users() -> Response:
    """One page of users (``?q=&department=&role=&active=&limit=&offset=``)."""
    active = ACTIVE.read()
    role = ROLE.read()
    page = user_listing.list_users(
        read_session(), current_actor(), text=TEXT.read(), department=DEPARTMENT.read(),
        role=role or None, active=None if active is None else active == "true",
        limit=LIMIT.read() or 50, offset=OFFSET.read() or 0, now=now(), policy=services().settings.session_policy)
    return jsonify({"items": [_summary(u) for u in page.items], "total": page.total, "limit": page.limit,
                    "offset": page.offset, "next_offset": page.next_offset})


def create_user() -> tuple[Response, int]:
    """Add a user; a generated password comes back once."""
    body = json_object("CreateUserRequest")
    actor, at = current_actor(), now()
    seats = [(s["department"], s["role"]) for s in body.get("seats", [])]

    def add(session: Any) -> dict[str, Any]:
        made = user_admin.add_user(session, actor, body["username"], body.get("display_name", ""),
                                   password=body.get("password"), seats=seats, now=at)
        return {**_summary(_detail(session, made.user.username).user), "password": made.password}

    return jsonify(write(add)), 201


def get_user(username: str) -> Response:
    """A user with seats, sessions, tokens and history."""
    return jsonify(_detail_payload(_detail(read_session(), username)))


def update_user(username: str) -> Response:
    """Change the display name, activate or deactivate."""
    body = json_object("UpdateUserRequest")
    actor, at = current_actor(), now()

    def change(session: Any) -> dict[str, Any]:
        if "display_name" in body:
            user_admin.rename(session, actor, username, body["display_name"], now=at)
        if "active" in body:
            user_admin.set_active(session, actor, username, body["active"], now=at)
        return _detail_payload(_detail(session, username))

    return jsonify(write(change))


def add_seat(username: str) -> tuple[Response, int]:
    """Give a seat."""
    body = json_object("SeatRequest")
    actor, at = current_actor(), now()

    def give(session: Any) -> dict[str, Any]:
        user_admin.add_seat(session, actor, username, body["department"], body["role"], now=at)
        return _detail_payload(_detail(session, username))

    return jsonify(write(give)), 201


def remove_seat(username: str) -> Response:
    """Take a seat."""
    body = json_object("SeatRequest")
    actor, at = current_actor(), now()

    def take(session: Any) -> dict[str, Any]:
        user_admin.remove_seat(session, actor, username, body["department"], body["role"], now=at)
        return _detail_payload(_detail(session, username))

    return jsonify(write(take))


def reset_password(username: str) -> Response:
    """A generated password, shown once; every session ends."""
    actor, at = current_actor(), now()
    password, ended = write(lambda s: user_admin.reset_password(s, actor, username, now=at))
    return jsonify({"password": password, "sessions_ended": ended})


def list_tokens(username: str) -> Response:
    """The user's tokens, newest first."""
    return jsonify({"items": [_token(t) for t in _detail(read_session(), username).tokens]})


def issue_token(username: str) -> tuple[Response, int]:
    """A new token; its secret is in this answer only."""
    body = optional_json_object("TokenRequest")
    actor, at = current_actor(), now()
    made: NewToken = write(lambda s: user_admin.issue_token(
        s, actor, username, label=body.get("label", "api"), days=body.get("days", user_admin.DEFAULT_TOKEN_DAYS),
        now=at))
    return jsonify({"id": made.id, "label": made.label, "token": made.token, "created_at": instant(made.created_at),
                    "expires_at": instant(made.expires_at)}), 201


def revoke_token(username: str, token_id: int) -> tuple[str, int]:
    """Withdraw one token."""
    actor, at = current_actor(), now()
    write(lambda s: user_admin.revoke_token(s, actor, username, token_id, now=at))
    return "", 204


def revoke_access(username: str) -> Response:
    """Withdraw every token and end every session."""
    actor, at = current_actor(), now()
    tokens, ended = write(lambda s: user_admin.revoke_access(s, actor, username, now=at))
    return jsonify({"tokens": tokens, "sessions_ended": ended})


def _detail(session: Any, username: str) -> UserDetail:
    return user_listing.user_detail(session, current_actor(), username, now=now(),
                                  policy=services().settings.session_policy)


def _seat(s: SeatView) -> dict[str, Any]:
    return {"department": s.department_code, "department_name": s.department_name, "kind": s.department_kind,
            "role": s.role, "role_label": s.role_label}


def _summary(u: UserSummary) -> dict[str, Any]:
    return {"username": u.username, "display_name": u.display_name, "active": u.is_active,
            "created_at": instant(u.created_at), "seats": [_seat(s) for s in u.seats],
            "live_sessions": u.live_sessions, "last_seen_at": instant(u.last_seen_at), "tokens": u.tokens}


def _token(t: TokenView) -> dict[str, Any]:
    return {"id": t.id, "label": t.label, "created_at": instant(t.created_at), "expires_at": instant(t.expires_at),
            "expired": t.expired}


def _detail_payload(d: UserDetail) -> dict[str, Any]:
    return {**_summary(d.user), "token_list": [_token(t) for t in d.tokens], "history": [
        {"id": e.id, "action": e.action, "at": instant(e.at), "actor": e.actor, "actor_name": e.actor_name,
         "payload": e.payload} for e in d.history]}
