"""Reading request bodies and query parameters, with 400s that say which one is wrong."""
from __future__ import annotations

from typing import Any, TypeVar

from flask import abort, request

E = TypeVar("E")


def json_object() -> dict[str, Any]:
    """The request body as a JSON object; 400/415 otherwise."""
    if not request.is_json:
        abort(415, description="Send the body as JSON (Content-Type: application/json).")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description="The body must be a JSON object.")
    return body


def int_arg(name: str, default: int, *, low: int, high: int) -> int:
    """An integer query parameter within [low, high]."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        abort(400, description=f"Query parameter '{name}' must be an integer.")
    if not low <= value <= high:
        abort(400, description=f"Query parameter '{name}' must be between {low} and {high}.")
    return value


def choice_arg(name: str, choices: type[E], default: E) -> E:
    """A query parameter that must be one of an enum's values."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return choices(raw)  # type: ignore[call-arg]
    except ValueError:
        allowed = ", ".join(str(c.value) for c in choices)  # type: ignore[attr-defined]
        abort(400, description=f"Query parameter '{name}' must be one of: {allowed}.")
