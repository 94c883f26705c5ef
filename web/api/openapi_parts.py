"""Building blocks of the OpenAPI document: operations whose boundary statuses follow from their inputs.

An operation names its own outcomes (200, 403, 409, domain 422s); the statuses the request
boundary and the parameter parsers produce are added here from what the operation takes,
so the document lists them wherever the code can return them:

- 401 unless public (no or a bad token);
- 404 for a path parameter (an id outside 1..2**31-1 or a name that matches nothing) and
  for an id in the query that is out of range (``web.query.IdParam``);
- 400 for a malformed query parameter (``web.query``) and, on every operation, for one the
  operation does not declare (``web.api.openapi.refuse_undeclared_query``);
- 400 (broken, too deep or not an object), 413 (over the body cap), 415 (not JSON) for a body;
- 414 on every operation: path and query over ``web.boundary.MAX_URL_BYTES`` (gunicorn, in
  front, refuses request lines over 4094 bytes with the same status as text/html);
- 422 on every operation: a NUL or a lone surrogate in any path, query, form or JSON string
  (``web.boundary``), and a body that does not match its schema (``web.api.params``).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from web.boundary import ID_MAX, ID_MIN
from web.query import QueryParam

PROBLEM = {"$ref": "#/components/responses/Problem"}
URI_TOO_LONG = {"$ref": "#/components/responses/UriTooLong"}


def ref(name: str) -> dict[str, str]:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def json_response(schema: dict[str, Any], description: str) -> dict[str, Any]:
    """A JSON response."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def json_body(schema_name: str, *, required: bool = True) -> dict[str, Any]:
    """A JSON request body of a component schema (see ``web.api.params.BODIES``)."""
    return {"required": required, "content": {"application/json": {"schema": ref(schema_name)}}}


def path_id(name: str, description: str) -> dict[str, Any]:
    """A row id in the path (``<id:...>`` in the route)."""
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "integer", "minimum": ID_MIN, "maximum": ID_MAX}}


def path_text(name: str, description: str) -> dict[str, Any]:
    """A code or key in the path."""
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string", "minLength": 1, "maxLength": 255}}


def operation(summary: str, responses: dict[str, Any], *, tag: str, path: Iterable[dict[str, Any]] = (),
              query: Iterable[QueryParam] = (), body: dict[str, Any] | None = None,
              public: bool = False) -> dict[str, Any]:
    """An operation with the statuses its inputs can produce added to ``responses``."""
    path, query = list(path), list(query)
    statuses = {400, 422}
    if not public:
        statuses.add(401)
    if path:
        statuses.add(404)
    for param in query:
        statuses |= param.statuses()
    if body is not None:
        statuses |= {400, 413, 415}
    boundary = {str(s): PROBLEM for s in sorted(statuses)} | {"414": URI_TOO_LONG}
    found: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": {**boundary, **responses}}
    if path or query:
        found["parameters"] = [*path, *(p.spec() for p in query)]
    if body is not None:
        found["requestBody"] = body
    if public:
        found["security"] = []
    return found


def list_of(item: dict[str, Any]) -> dict[str, Any]:
    """``{"items": [...]}``."""
    return {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": item}}}


def page_of(item: dict[str, Any]) -> dict[str, Any]:
    """One page of a paged list."""
    return {"type": "object", "required": ["items", "limit", "offset", "next_offset"], "properties": {
        "items": {"type": "array", "items": item}, "limit": {"type": "integer"}, "offset": {"type": "integer"},
        "next_offset": {"type": ["integer", "null"]}}}
