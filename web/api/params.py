"""Request bodies of the API, declared once: the schema the OpenAPI document shows is the one enforced.

``json_object("StartRequest")`` reads the body (the boundary already capped, parsed and
cleaned it), answers 415 when it is not JSON, 400 when it is not an object, and 422 with
one error per field when it does not match the schema the document publishes.
"""
from __future__ import annotations

from functools import cache
from typing import Any

from flask import abort, request
from jsonschema import Draft202012Validator

from engine.errors import FieldError, InvalidInput
from web.api import body_schemas
from web.boundary import printable

_STR = {"type": "string"}

# Request body schemas, by component name; web.api.openapi publishes exactly these.
BODIES: dict[str, dict[str, Any]] = body_schemas.ALL


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(BODIES[name])


def json_object(schema: str) -> dict[str, Any]:
    """The request body as a JSON object matching ``BODIES[schema]``; 415, 400 or 422 otherwise."""
    if not request.is_json:
        abort(415, description="Send the body as JSON (Content-Type: application/json).")
    body = request.get_json()  # broken or too deep JSON was refused by the boundary with a 400
    if not isinstance(body, dict):
        abort(400, description="The body must be a JSON object.")
    errors = sorted(_validator(schema).iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        fields = [FieldError(_field(e.absolute_path), "This value does not match the API description: {detail}",
                             code="schema", params={"detail": printable(e.message, 200)})
                  for e in errors[:20]]
        raise InvalidInput("The body does not match the API description ({count} problem(s)).", errors=fields,
                           count=len(errors))
    return body


def optional_json_object(schema: str) -> dict[str, Any]:
    """Like ``json_object``, but an empty body is an empty object."""
    return json_object(schema) if request.get_data(cache=True) else {}


def _field(path: Any) -> str:
    return ".".join(printable(str(p), 40) for p in path) or "body"
