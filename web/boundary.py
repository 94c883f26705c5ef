"""The request boundary: what every request must satisfy before any handler reads it.

Registered once in the app factory, so every route inherits it: ids in URLs are row ids
(``<id:name>``, 1..2**31-1, the column range; anything else names nothing: 404), login names
(``<username:name>``, the login name rules, else 404); overlong
addresses are refused (414); bodies are capped before they are read (413); JSON is parsed
once, refused when broken or nested too deep (400); and no string of the path, query,
form or JSON body may carry a NUL or a lone surrogate (422 naming the field), because
neither survives the database or UTF-8. ``local_target`` is the one check of redirect
targets (``next``). See docs/request-boundary.md.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Request, current_app, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest, RequestURITooLarge, UnsupportedMediaType
from werkzeug.routing import BaseConverter, IntegerConverter, Map

from engine.accounts import USERNAME_PATTERN
from engine.errors import FieldError, InvalidInput

ID_MIN = 1
ID_MAX = 2**31 - 1  # INTEGER primary keys on PostgreSQL; what SQLite and the ORM agree on
# Path and query together; gunicorn refuses request lines over 4094 bytes itself, so the app
# refuses a little less and answers the same 414 in its own format under any server.
MAX_URL_BYTES = 4000
_BAD = re.compile("[\x00\ud800-\udfff]")
# Bodies that carry files (multipart forms, BPMN uploads as XML) keep the upload limit.
UPLOAD_TYPES = ("multipart/form-data", "application/xml", "text/xml", "application/octet-stream",
                "application/bpmn+xml")


class IdConverter(IntegerConverter):
    """``<id:name>``: a row id in a URL; outside 1..2**31-1 the URL matches no route (404)."""

    def __init__(self, map: Map) -> None:
        super().__init__(map, min=ID_MIN, max=ID_MAX)


class UsernameConverter(BaseConverter):
    """``<username:name>``: a login name in a URL; one no user can have matches no route (404)."""

    regex = USERNAME_PATTERN


def has_bad_character(text: str) -> bool:
    """A NUL or a lone surrogate (U+D800..U+DFFF): neither is stored by PostgreSQL nor encoded as UTF-8."""
    return _BAD.search(text) is not None


def printable(text: str, limit: int = 80) -> str:
    """``text`` safe to echo in a message: bad characters replaced, length capped."""
    return _BAD.sub("\ufffd", text[:limit]) + ("…" if len(text) > limit else "")


def local_target(target: str | None, fallback: str, *, prefix: str = "/") -> str:
    """A redirect target inside this site under ``prefix``, else ``fallback``.

    Refused: other hosts (``//host``, ``scheme:``), backslashes (browsers read them as
    slashes) and control characters (CR/LF would split the Location header).
    """
    if not target or not target.startswith(prefix) or target.startswith("//") or "\\" in target:
        return fallback
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return fallback
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else fallback


class ShallowJSONProvider(DefaultJSONProvider):
    """The app's JSON: Flask's, with a bound on how deeply a document read from a request may nest."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse ``s``; ValueError (a 400 for a request body) when broken or nested too deeply."""
        try:
            value = super().loads(s, **kwargs)
        except RecursionError as error:  # the C parser gives up on very deep input: that is bad JSON too
            raise ValueError("nested too deeply") from error
        limit = self._app.extensions["whistle"].settings.max_json_depth
        if _depth(value, limit) > limit:
            raise ValueError(f"nested deeper than {limit} levels")
        return value


class BoundedRequest(Request):
    """A request whose JSON failures say what is wrong (400 or 415)."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        """Broken JSON is a 400 naming the problem; a body that is not JSON at all is a 415."""
        if e is None:
            raise UnsupportedMediaType("Send the body as JSON (Content-Type: application/json).")
        raise BadRequest(f"The body is not valid JSON: {printable(str(e), 120)}.")


def _depth(value: Any, limit: int) -> int:
    """How deeply ``value`` nests (stops counting past ``limit``); iterative, so depth costs no stack."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level > limit:
                return level
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


def _json_strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every (field path, string) of a JSON document, keys included."""
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            yield where or "body", item
        elif isinstance(item, dict):
            for key, child in item.items():
                name = f"{where}.{key}" if where else str(key)
                yield name, str(key)
                stack.append((child, name))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(item))


def _strings() -> Iterator[tuple[str, str]]:
    """Every (field, string) a handler could read: path, query, form, file names, JSON body."""
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str):
            yield name, value
    for source in (request.args, request.form):
        for name, value in source.items(multi=True):
            yield name, name
            yield name, value
    for name, upload in request.files.items(multi=True):
        yield name, name
        yield name, upload.filename or ""
    if request.is_json and request.get_data(cache=True):
        yield from _json_strings(request.get_json(), "")


def _url_bytes() -> int:
    """The length of the path (WSGI hands it over decoded, one character per byte) and the raw query."""
    environ = request.environ
    return len(environ.get("PATH_INFO", "")) + len(environ.get("SCRIPT_NAME", "")) + len(
        environ.get("QUERY_STRING", ""))


def check_request() -> None:
    """Before every handler: cap the body, parse JSON once, refuse bad characters."""
    settings = current_app.extensions["whistle"].settings
    if _url_bytes() > MAX_URL_BYTES:
        raise RequestURITooLarge(f"The address is longer than {MAX_URL_BYTES} bytes.")
    uploads = (request.mimetype or "") in UPLOAD_TYPES
    # Set before anything reads the stream (CSRF reads the form): werkzeug then refuses a longer body with 413.
    request.max_content_length = settings.max_upload_bytes if uploads else settings.max_body_bytes
    bad = sorted({printable(name) for name, value in _strings() if has_bad_character(value)})
    if bad:
        raise InvalidInput("The field {field} contains a character that is not allowed (NUL or a lone surrogate).",
                           errors=[FieldError(name, "This field contains a character that is not allowed "
                                                    "(NUL or a lone surrogate).", code="bad_character")
                                   for name in bad[:20]], field=bad[0])


def init_app(app: Flask) -> None:
    """Install the boundary; call it before anything else registers routes or reads requests."""
    app.request_class = BoundedRequest
    app.json = ShallowJSONProvider(app)
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["username"] = UsernameConverter
    app.before_request(check_request)
