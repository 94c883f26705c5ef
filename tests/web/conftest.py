"""Fixtures for API tests: an app on the test database, tokens for demo users, a JSON client."""
from __future__ import annotations

from collections.abc import Iterator
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
def app(db: Database, ctx: EngineContext, esc: Escalation, clock: FakeClock, tmp_path: Path) -> Flask:
    """The whistle app on the test database with the fake clock."""
    settings = Settings(instance_path=tmp_path / "instance", secret_key="test-secret")
    return create_app(services=Services(settings=settings, db=db, ctx=ctx, clock=clock, escalation=esc))


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
