"""A seeded ``whistle serve`` on SQLite or PostgreSQL with every pack deployed, driven over real HTTP as
its users would drive /api/v1 (the whistle, 接诉即办 and 一网通办 end-to-end tests share one per backend:
the ``live_demo`` fixture in tests/web/conftest.py)."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.databases import create_schema, drop_schema
from tests.http_client import LiveServer, environment, whistle
from tests.support import PROCESSES

# The demo logins the tests on the shared server act as, each with a token.
USERS = [
    # 街乡吹哨、部门报到
    "HP.officer", "HP.leader", "SWJ.staff", *[f"{d}.{role}" for d in ("GHZY", "ZJW", "CGW")
                                             for role in ("dispatcher", "staff")],
    # 一网通办
    "SFQ-CY.clerk", "SFQ-ZW.clerk", "SFQ-CY.dispatcher", "ZJW.caseworker", "SWJ.caseworker", "GAFJ.caseworker",
    "SFQ-DD.caseworker", "HP.caseworker", "CGW.caseworker", "DCS.supervisor",
    # 接诉即办
    "DEMO12345.operator", "JSJB.operator", "JSJB.dispatcher", "JSJB.visitor", "CGW.handler", "ZJW.handler",
    "HP.handler", "LHQ-CGW.handler",
]


@dataclass
class Answer:
    """Status, headers and parsed JSON body of one response."""

    status: int
    headers: dict[str, str]
    body: Any


@dataclass
class LiveApi:
    """The live server and its users' tokens."""

    base: str
    tokens: dict[str, str]
    url: str  # the database, for tests that read what the server stored
    process: str | None = None  # list only this process's tasks (the server runs every pack's cases)

    def call(self, user: str, method: str, path: str, body: object = None,
             headers: dict[str, str] | None = None) -> Answer:
        """One JSON request as ``user``."""
        data = json.dumps(body).encode() if body is not None else None
        sent = {"Authorization": f"Bearer {self.tokens[user]}", **(headers or {})}
        if data is not None:
            sent["Content-Type"] = "application/json"
        req = urllib.request.Request(f"{self.base}/api/v1{path}", data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                raw, status, got = response.read(), response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            raw, status, got = error.read(), error.code, dict(error.headers)
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw
        return Answer(status, got, parsed)

    def open_tasks(self, user: str, element: str | None = None) -> list[dict[str, Any]]:
        """The open tasks of ``user``'s units (optionally of one element; of :attr:`process` when it is set)."""
        reply = self.call(user, "GET", "/tasks?scope=department&status=open")
        assert reply.status == 200, reply.body
        return [t for t in reply.body["items"] if (element is None or t["element_id"] == element)
                and (self.process is None or t["process"] == self.process)]

    def start(self, user: str, process: str, data: dict[str, Any]) -> int:
        """Start a case of ``process`` as ``user``; the case id."""
        started = self.call(user, "POST", "/instances", {"process": process, "data": data})
        assert started.status == 201, started.body
        return int(started.body["id"])

    def work(self, user: str, case_id: int, element: str, data: dict[str, Any]) -> dict[str, Any]:
        """Claim and complete ``user``'s one open ``element`` of the case, with If-Match from the task's ETag."""
        mine = [t for t in self.open_tasks(user, element) if t["instance_id"] == case_id]
        assert len(mine) == 1, f"{user}: expected one open {element} of case {case_id}, got {mine}"
        task_id = mine[0]["id"]
        claimed = self.call(user, "POST", f"/tasks/{task_id}/claim")
        assert claimed.status == 200 and claimed.body["assignee"] == user, claimed.body
        tag = self.call(user, "GET", f"/tasks/{task_id}").headers["ETag"]
        done = self.call(user, "POST", f"/tasks/{task_id}/complete", {"data": data}, {"If-Match": tag})
        assert done.status == 200, done.body
        return mine[0]

    def case(self, user: str, case_id: int) -> Answer:
        """GET the case as ``user``."""
        return self.call(user, "GET", f"/instances/{case_id}")


@contextmanager
def live_api(backend: str, folder: Path, users: list[str], schema_prefix: str) -> Iterator[LiveApi]:
    """A server initialised, with every pack deployed and the demo seeded, on ``backend``; ``users`` get tokens."""
    schema_name = None
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'live.sqlite3'}"
    else:
        schema_name, url = create_schema(schema_prefix)
    env = environment(url, folder / "instance")
    whistle("init", env=env)
    whistle("deploy", str(PROCESSES), env=env)
    whistle("seed-demo", env=env)
    lines = whistle("user", "token", *users, env=env).split("\n")
    tokens = dict(line.split(" ", 1) for line in lines if line and not line.startswith("valid until"))
    live = LiveServer(env, folder / "server.log")
    try:
        yield LiveApi(live.base, tokens, url)
    finally:
        live.stop()
        if schema_name is not None:
            drop_schema(schema_name)
