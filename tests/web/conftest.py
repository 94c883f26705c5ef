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
from tests.web import live_api
from web.app import create_app
from web.services import Services
from web.settings import Settings

# What a test may leave on the shared app (web.public): taken off before the next test borrows it.
PER_TEST_EXTENSIONS = ("whistle_verifier", "whistle_captcha_answers")


@pytest.fixture(scope="session")
def shared_apps() -> dict[str, Flask]:
    """One app with the default settings per worker, lent to each test in turn (see ``make_app``)."""
    return {}


@pytest.fixture
def make_app(db: Database, ctx: EngineContext, esc: Escalation, clock: FakeClock, tmp_path: Path,
             shared_apps: dict[str, Flask]) -> Callable[..., Flask]:
    """``make_app(**settings)``: the app on the test database and fake clock with these settings.

    With no settings changed, every test borrows one app built once: registering some 160 routes
    costs about 0.15 s an app, a few minutes over the suite. Everything a request reads comes from
    the services, which are the test's own (database, clock, engine context, instance folder); what
    a test may have left on the app is taken off (PER_TEST_EXTENSIONS, the rate-limit counters).
    ``make_app(fresh=True)`` builds a new one for a test that changes the app itself (a route).
    """

    def make(*, fresh: bool = False, **changes: Any) -> Flask:
        settings = Settings(instance_path=tmp_path / "instance", secret_key="test-secret", **changes)
        services = Services(settings=settings, db=db, ctx=ctx, clock=clock, escalation=esc)
        if fresh or changes:
            return create_app(services=services)
        app = shared_apps.get("default")
        if app is None:
            app = shared_apps["default"] = create_app(services=services)
            return app
        app.extensions["whistle"] = services
        for name in PER_TEST_EXTENSIONS:
            app.extensions.pop(name, None)
        limiter = app.extensions.get("whistle_limiter")
        if limiter is not None:
            limiter.reset()
        return app

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



@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def live_demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[live_api.LiveApi]:
    """One server per backend with every pack deployed and the demo seeded, shared by the end-to-end tests over
    HTTP. They mark themselves ``xdist_group("live_demo")`` so that one worker starts each server once; each
    test follows its own cases only (other tests' cases are on the same server)."""
    with live_api.live_api(request.param, tmp_path_factory.mktemp(f"demo-{request.param}"), live_api.USERS,
                           "whistle_live") as found:
        yield found
