"""Fixtures for API tests: an app on the test database, tokens for demo users, a JSON client."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import accounts
from engine.context import EngineContext
from engine.database import Database
from escalation.config import Escalation
from tests.support import FakeClock
from web.app import create_app
from web.services import Services
from web.settings import Settings


@pytest.fixture
def make_app(db: Database, ctx: EngineContext, esc: Escalation, clock: FakeClock,
             tmp_path: Path) -> Callable[..., Flask]:
    """``make_app(**settings)``: the app on the test database and fake clock with these settings."""

    def make(**changes: Any) -> Flask:
        settings = Settings(instance_path=tmp_path / "instance", secret_key="test-secret", **changes)
        return create_app(services=Services(settings=settings, db=db, ctx=ctx, clock=clock, escalation=esc))

    return make


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """The whistle app on the test database with the fake clock."""
    return make_app()


@dataclass
class Api:
    """Calls /api/v1 as a demo user."""

    client: FlaskClient
    db: Database
    clock: FakeClock
    app_ctx: EngineContext

    def token(self, username: str) -> str:
        """A fresh token for ``username``."""
        with self.db.transaction() as session:
            return accounts.issue_token(session, accounts.user_by_name(session, username), label="test",
                                        now=self.clock.now())

    def call(self, username: str | None, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        """Send a request; returns the werkzeug test response."""
        headers = kwargs.pop("headers", {})
        if username:
            headers["Authorization"] = f"Bearer {self.token(username)}"
        return self.client.open(f"/api/v1{path}", method=method, json=body, headers=headers, **kwargs)


@pytest.fixture
def api(app: Flask, db: Database, clock: FakeClock, ctx: EngineContext) -> Iterator[Api]:
    """A JSON client for the API."""
    with app.test_client() as client:
        yield Api(client, db, clock, ctx)


@dataclass
class Pages:
    """Signed-in page clients (session cookie, CSRF token) for page tests without a browser."""

    app: Flask
    clients: list[FlaskClient]

    def as_(self, username: str, *, lang: str = "zh_CN") -> PageClient:
        """A client signed in as ``username`` (password ``whistle-demo``)."""
        client = self.app.test_client()
        self.clients.append(client)
        if lang != "zh_CN":
            client.get(f"/lang/{lang}")
        token = csrf_token_of(client.get("/login").get_data(as_text=True))
        response = client.post("/login", data={"username": username, "password": "whistle-demo",
                                               "csrf_token": token, "next": ""})
        assert response.status_code == 302, f"could not sign in as {username}"
        return PageClient(client)


@dataclass
class PageClient:
    """A signed-in client that adds the CSRF token to every form it posts."""

    client: FlaskClient

    def get(self, path: str, **kwargs: Any) -> Any:
        """GET a page."""
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """POST a form with the session's CSRF token."""
        token = csrf_token_of(self.client.get("/notifications").get_data(as_text=True))
        return self.client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


def csrf_token_of(html: str) -> str:
    """The CSRF token a page carries (meta tag or hidden input)."""
    import re

    found = re.search(r'name="csrf[-_]token" (?:content|value)="([^"]+)"', html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


@pytest.fixture
def pages(app: Flask) -> Iterator[Pages]:
    """Signed-in page clients."""
    found = Pages(app, [])
    yield found
    for client in found.clients:
        client.__exit__(None, None, None) if hasattr(client, "__exit__") else None

