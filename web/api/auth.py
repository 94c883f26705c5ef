"""Bearer-token authentication for the API."""
from __future__ import annotations

from flask import g, request

from engine import accounts
from engine.actors import Actor, actor_of
from web import problems
from web.db import now, read_session
from web.formatting import local_time
from web.i18n import translate

# Routes anyone may call: liveness, the API description, and the public site's part (web.api.public), whose
# endpoints all begin with PUBLIC_PREFIX.
PUBLIC_ENDPOINTS = {"api.health", "api.openapi_document"}
PUBLIC_PREFIX = "api.public_"


def authenticate() -> object | None:
    """Before each API request: resolve the bearer token to an actor, or answer 401."""
    if request.endpoint in PUBLIC_ENDPOINTS or (request.endpoint or "").startswith(PUBLIC_PREFIX):
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user, token = None, token.strip()
    if scheme.lower() == "bearer" and token:
        user = accounts.user_for_token(read_session(), token, now=now())
    if user is None:
        expired = accounts.token_expired_at(read_session(), token, now=now()) if token else None
        detail = (translate("This API token expired at {when}; ask for a new one (whistle user token USERNAME).",
                            {"when": local_time(expired)}) if expired is not None else
                  translate("Send a valid API token: Authorization: Bearer <token> "
                            "(whistle user token USERNAME prints one)."))
        return problems.problem(401, detail, code="token_expired" if expired is not None else "unauthenticated",
                                headers={"WWW-Authenticate": 'Bearer realm="whistle"'})
    g.actor = actor_of(user)
    return None


def current_actor() -> Actor:
    """The authenticated actor of this request."""
    actor: Actor = g.actor
    return actor
