"""Every rule of the URL map, as every role, with hostile ids, strings and bodies: never a 5xx, never a traceback.

A refusal (4xx) comes as problem+json from the API and as the HTML error page elsewhere.

For each rule and method, and each role (signed out, street officer, department staff,
supervisor, designer, admin), hypothesis draws a few requests (fixed seed): ids huge,
negative, zero or not numbers; strings with NUL, lone surrogates, CR/LF, HTML or thousands
of characters, in the path, the query, a form or a JSON body; JSON nested 100,000 deep,
broken JSON and wrong content types. Real ids of a busy district are mixed in so that
handlers get past their lookups and meet the hostile fields. The walk collects every
5xx, traceback or refusal in the wrong format and fails with the list.
"""
from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from werkzeug.routing import Rule

from tests.support import WHISTLE_DATA, WHISTLE_PACK, Flow
from tests.web.conftest import Api, Pages, csrf_token_of

ROLES = [None, "HP.officer", "CGW.staff", "DCS.supervisor", "designer", "admin"]
EXAMPLES_PER_ROLE = 2
BAD_IDS = ["2147483648", "2147483647", "9223372036854775808", "99999999999999999999999", "0", "-1", "abc",
           "1.5", "1e9", ""]
# The first is what every field carries in each rule's first request (hypothesis starts from the simplest).
BAD_STRINGS = ["\x00", "a\x00b", "\ud800", "x\udfffy", "/\r\nSet-Cookie: x=1", "\r\n", "<script>alert(1)</script>",
               "../../etc/passwd", "%00", "null", "2147483648", "-1", "=cmd|' /C calc'!A0", " "]
# In bodies only: a query that long is a 414 before anything else is looked at (tests/web/test_boundary.py).
LONG = ["长" * 2_000, "x" * 5_000]
BAD_NUMBERS = [2**31, 2**63, 10**30, -1, 0, 1.5, True, None]
# Names handlers read (pages and API) plus every field of the shipped forms.
FIELDS = ["next", "username", "password", "reason", "note", "kind", "source", "version", "offset", "limit",
          "status", "scope", "level", "instance", "department", "category", "street", "format", "since",
          "filename", "unread", "process", "data", "business_key", "name", "payload", "clock", "extension",
          "decision", "attachments__kept", "q", "page"]
DEEP_JSON = b"[" * 100_000 + b"]" * 100_000
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\.py\", line \d+")


def _form_fields() -> list[str]:
    names: set[str] = set()
    for path in (WHISTLE_PACK / "forms").glob("*.json"):
        names |= set(json.loads(Path(path).read_text(encoding="utf-8")).get("properties", {}))
    return sorted(names)


@dataclass
class Caller:
    """One role's client: session cookie for pages, bearer token for the API, CSRF token for forms."""

    role: str | None
    client: FlaskClient
    token: str | None
    csrf: str


@dataclass
class World:
    """Real ids and keys of a busy district, mixed into the hostile values; the API's declared query names."""

    ids: list[str]
    keys: list[str]
    api_query: dict[tuple[str, str], list[str]] = field(default_factory=dict)


@pytest.fixture
def world(app: Flask, flow: Flow) -> World:
    """A deployed whistle with a running case and its open tasks (through the engine, not a test client)."""
    flow.deploy()
    flow.deploy_policy()
    case_id = flow.start("whistle", {**WHISTLE_DATA, "departments": ["CGW", "ZJW"]}, as_="HP.officer")
    ids = {str(case_id)} | {str(t.id) for t in flow.open_tasks(case_id)}
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    api_query = {(method.upper(), path): [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
                 for path, item in document["paths"].items() for method, op in item.items()}
    return World(ids=sorted(ids) + ["1"], keys=["whistle", "CGW", "HP", "zh_CN", "approve", "reject"],
                 api_query=api_query)


@pytest.fixture
def callers(app: Flask, api: Api, pages: Pages) -> list[Caller]:
    """Every role signed in (pages) and holding a token (API); the first one signed out."""
    found = []
    for role in ROLES:
        if role is None:
            client = app.test_client()
            csrf = csrf_token_of(client.get("/login").get_data(as_text=True))
            found.append(Caller(None, client, None, csrf))
            continue
        page_client = pages.as_(role).client
        csrf = csrf_token_of(page_client.get("/notifications").get_data(as_text=True))
        found.append(Caller(role, page_client, api.token(role), csrf))
    return found


@dataclass(frozen=True)
class Values:
    """The strategies of hostile values, built once per walk: hypothesis validates a strategy object once,
    so drawing thousands of requests from the same objects costs a fraction of building new ones each time."""

    plain: st.SearchStrategy[str]  # path segments and query values
    body: st.SearchStrategy[str]  # form and multipart values (also very long ones)
    flat: st.SearchStrategy[Any]  # JSON members
    json: st.SearchStrategy[Any]  # nested JSON in "data"
    keys: st.SearchStrategy[str]  # path arguments that name things
    choice: st.SearchStrategy[str]  # path arguments of a fixed set
    ids: st.SearchStrategy[str]

    @classmethod
    def of(cls, world: World) -> Values:
        """The strategies for ``world``'s real ids and keys."""
        plain = st.one_of(st.sampled_from(BAD_STRINGS), st.sampled_from(BAD_IDS), st.sampled_from(world.keys),
                          st.text(max_size=12))
        body = plain | st.sampled_from(LONG)
        leaf = st.one_of(body, st.sampled_from(BAD_NUMBERS), st.sampled_from([int(i) for i in world.ids]))
        nested = st.recursive(leaf, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
            st.sampled_from(FIELDS) | plain, inner, max_size=3), max_leaves=8)
        return cls(plain, body, body | st.sampled_from(BAD_NUMBERS), nested, st.sampled_from(world.keys) | plain,
                   st.sampled_from(["approve", "reject"]) | plain, st.sampled_from(world.ids + BAD_IDS[:-1]))


def _query_names(rule: Rule, method: str, world: World) -> list[str]:
    """What a handler may read: the API's declared parameters (others are refused up front), else every name."""
    if rule.rule.startswith("/api/v1/"):
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        return world.api_query.get((method, path), [])
    return FIELDS


@st.composite
def _request(draw: st.DrawFn, rule: Rule, method: str, world: World, fields: list[str],
             values_of: Values) -> dict[str, Any]:
    """A hostile request for ``rule``: path arguments, query string and (for writes) a body.

    Every name a handler may read carries a hostile value at once, so the first (simplest)
    request of each rule already puts a NUL into every field behind a real id.
    """
    path = rule.rule
    for name, converter in rule._converters.items():
        kind = type(converter).__name__
        if kind in ("IntegerConverter", "IdConverter"):
            raw = draw(values_of.ids)
        elif kind == "AnyConverter":
            raw = draw(values_of.choice)
        else:
            raw = draw(values_of.keys)
        encoded = quote(raw.encode("utf-8", "surrogatepass"), safe="") or "x"
        path = re.sub(rf"<(?:[^:<>]+:)?{name}>", lambda _m, e=encoded: e, path)
    every = FIELDS + fields
    names = _query_names(rule, method, world)
    if rule.rule.startswith("/api/v1/"):  # one hostile parameter at a time: another one's 400 would hide it
        query = {draw(st.sampled_from(names)): draw(values_of.plain)} if names else {}
    else:
        query = {n: draw(values_of.plain) for n in names}
    body: dict[str, Any] = {}
    if method != "GET":
        kind = draw(st.sampled_from(["form", "json", "multipart", "deep", "broken", "xml", "text"]))
        values = {n: draw(values_of.body) for n in every}
        if kind == "form":
            body = {"data": _urlencode(values), "content_type": "application/x-www-form-urlencoded"}
        elif kind == "json":
            payload = {n: draw(values_of.flat) for n in every}
            payload["data"] = {n: draw(values_of.json) for n in fields}
            raw_json = json.dumps(payload, ensure_ascii=True, allow_nan=True)
            body = {"data": raw_json.encode("ascii"), "content_type": "application/json"}
        elif kind == "deep":
            body = {"data": DEEP_JSON, "content_type": "application/json"}
        elif kind == "broken":
            body = {"data": b'{"reason": "x', "content_type": "application/json"}
        elif kind == "xml":
            body = {"data": b"<definitions\x00>&ent;</", "content_type": "application/xml"}
        elif kind == "text":
            body = {"data": "\ud800".encode("utf-8", "surrogatepass") + b"\x00", "content_type": "text/plain"}
        else:
            boundary = "hostileboundary"
            parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{n}"\r\n\r\n'.encode()
                     + v.encode("utf-8", "surrogatepass") + b"\r\n" for n, v in values.items()]
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a\x00.bpmn"\r\n'
                         f"Content-Type: application/octet-stream\r\n\r\n".encode() + b"\x00<x/>\r\n")
            body = {"data": b"".join(parts) + f"--{boundary}--\r\n".encode(),
                    "content_type": f"multipart/form-data; boundary={boundary}"}
    return {"path": path, "query": _urlencode(query).decode("ascii"), **body}


def _urlencode(values: dict[str, str]) -> bytes:
    return "&".join(f"{quote(k, safe='')}={quote(v.encode('utf-8', 'surrogatepass'), safe='')}"
                    for k, v in values.items()).encode("ascii")


def _with_csrf(request: dict[str, Any], csrf: str) -> dict[str, Any]:
    if request.get("content_type") == "application/x-www-form-urlencoded":
        request = {**request, "data": request["data"] + f"&csrf_token={quote(csrf)}".encode()}
    return request


def test_no_route_answers_hostile_input_with_a_server_error(app: Flask, world: World,
                                                            callers: list[Caller]) -> None:
    fields = _form_fields()
    failures: list[str] = []
    values_of = Values.of(world)
    rules = sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
    for rule in rules:
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for caller in callers:
                _walk(rule, method, caller, world, fields, failures, values_of)
    assert not failures, f"{len(failures)} hostile requests got a 5xx or a traceback:\n" + "\n".join(failures[:40])


def _walk(rule: Rule, method: str, caller: Caller, world: World, fields: list[str], failures: list[str],
          values_of: Values) -> None:
    """A few hostile requests to one rule as one role (a fixed seed: the same requests every run)."""

    # One fixed seed per rule, method and role: the same requests every run, different ones per route.
    @seed(zlib.crc32(f"{rule.rule} {method} {caller.role}".encode()))
    @settings(max_examples=EXAMPLES_PER_ROLE, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(_request(rule, method, world, fields, values_of))
    def probe(request: dict[str, Any]) -> None:
        # Logging out would end the role's session for the rest of the walk: no CSRF token for it.
        if rule.endpoint != "auth.logout":
            request = _with_csrf(request, caller.csrf)
        headers = {"Authorization": f"Bearer {caller.token}"} if caller.token else {}
        response = caller.client.open(request["path"], method=method, query_string=request["query"],
                                      data=request.get("data"), content_type=request.get("content_type"),
                                      headers=headers)
        text = response.get_data().decode("utf-8", "replace")  # an image (the captcha) is bytes
        # Refusals come in the reader's format: problem+json from the API, the error page elsewhere.
        expected = "application/problem+json" if request["path"].startswith("/api/") else "text/html"
        refused_oddly = 400 <= response.status_code < 500 and response.mimetype != expected
        if response.status_code >= 500 or TRACEBACK.search(text) or refused_oddly:
            failures.append(f"{method} {request['path']}?{request['query'][:200]} as {caller.role}: "
                            f"{response.status_code} {response.mimetype} body={request.get('data', b'')[:120]!r}")

    probe()
