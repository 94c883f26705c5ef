"""Bearer-token authentication for the API."""
from __future__ import annotations

from flask import g, request

from engine import accounts
from engine.actors import Actor, actor_of
from web import problems
from web.db import read_session

# Routes anyone may call: liveness and the API description.
PUBLIC_ENDPOINTS = {"api.health", "api.openapi_document"}


def authenticate() -> object | None:
    """Before each API request: resolve the bearer token to an actor, or answer 401."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = None
    if scheme.lower() == "bearer" and token:
        user = accounts.user_for_token(read_session(), token.strip())
    if user is None:
        return problems.problem(
            401,
            "Send a valid API token: Authorization: Bearer <token> (whistle user token USERNAME prints one).",
            code="unauthenticated",
            headers={"WWW-Authenticate": 'Bearer realm="whistle"'},
        )
    g.actor = actor_of(user)
    return None


def current_actor() -> Actor:
    """The authenticated actor of this request."""
    actor: Actor = g.actor
    return actor
