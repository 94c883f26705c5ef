"""``Idempotency-Key`` on the API's acting requests: the web half of :mod:`engine.idempotency`.

An action answers with an :class:`engine.idempotency.Answer`; with a key, the answer is kept
in the action's transaction and a repeat of the request gets it again (``Idempotent-Replayed:
true``) without acting. The same key on a different request is a 422; a repeat racing the
first waits for it (see engine.idempotency); keys live 24 hours (the worker's sweep).
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Response, abort, json, request
from sqlalchemy.orm import Session

from engine import idempotency
from engine.idempotency import Answer
from web.api.auth import current_actor
from web.db import now, write

HEADER = "Idempotency-Key"
KEY_SPEC = {"name": HEADER, "in": "header", "required": False,
            "description": "Any 1..128 visible ASCII characters, new for each request you mean: a retry with the "
                           "same key and body gets the first answer again (Idempotent-Replayed: true) and does not "
                           "act twice; the same key with another body is a 422. Kept 24 hours.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[!-~]{1,128}$"}}


def respond(action: Callable[[Session], Answer]) -> Response:
    """Run ``action`` in a write unit, once per Idempotency-Key, and answer as JSON."""
    key = request.headers.get(HEADER)
    if key is None:
        return _response(write(action))
    if not idempotency.valid_key(key):
        abort(400, description=f"The {HEADER} header must be 1 to 128 visible ASCII characters.")
    actor = current_actor()
    path = request.path
    digest = idempotency.fingerprint(request.method, path, request.get_data(cache=True))
    at = now()

    def unit(session: Session) -> Answer:
        found = idempotency.reserve(session, actor.user_id, key, request.method, path, digest, now=at)
        if isinstance(found, Answer):
            return found
        answer = action(session)
        idempotency.settle(session, found, answer)
        return answer

    return _response(write(unit))


def _response(answer: Answer) -> Response:
    response = Response(json.dumps(answer.body, ensure_ascii=False), status=answer.status,
                        mimetype="application/json")
    for name, value in answer.headers.items():
        response.headers[name] = value
    if answer.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def answer(status: int, body: object, **headers: str) -> Answer:
    """An answer with the headers a replay repeats."""
    return Answer(status, body, {k.replace("_", "-"): v for k, v in headers.items() if v})
