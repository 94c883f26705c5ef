"""Every response carries the security headers, and no template needs inline script."""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from engine.context import EngineContext
from engine.database import Database
from escalation.config import Escalation
from tests.support import FakeClock
from tests.web.conftest import Api, Pages
from web.app import create_app
from web.services import Services
from web.settings import Settings

WEB = Path(__file__).resolve().parents[2] / "web"


def directives(policy: str) -> dict[str, list[str]]:
    """A Content-Security-Policy as ``{directive: [sources]}``."""
    parsed = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def assert_headers(response: Any, *, hsts: bool = False) -> None:
    """The headers every response must carry."""
    headers = response.headers
    policy = directives(headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no hosts
    assert policy["style-src"] == ["'self'"]
    assert "unsafe" not in headers["Content-Security-Policy"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert ("Strict-Transport-Security" in headers) is hsts


def test_pages_api_errors_and_static_files_carry_the_headers(pages: Pages, api: Api) -> None:
    staff = pages.as_("CGW.staff")
    anonymous = pages.app.test_client()
    responses = {
        "login page": anonymous.get("/login"),
        "signed-out redirect": anonymous.get("/inbox"),
        "inbox": staff.get("/inbox"),
        "page 404": staff.get("/no/such/page"),
        "csrf 400": staff.client.post("/logout", data={}),
        "static": anonymous.get("/static/js/whistle.js"),
        "api": api.call("CGW.staff", "GET", "/tasks"),
        "api 401": api.call(None, "GET", "/tasks"),
        "api 404": api.call("CGW.staff", "GET", "/tasks/999999"),
        "health": api.call(None, "GET", "/health"),
    }
    for name, response in responses.items():
        try:
            assert_headers(response)
        except (AssertionError, KeyError) as error:
            raise AssertionError(f"{name} ({response.status_code}): {error!r}") from None


def test_an_unexpected_error_carries_the_headers_too(make_app: Callable[..., Flask]) -> None:
    app = make_app(fresh=True)  # a route of its own: not on the app other tests borrow

    def boom() -> str:
        raise RuntimeError("boom")

    app.add_url_rule("/boom-for-test", "boom_for_test", boom)
    response = app.test_client().get("/boom-for-test")
    assert response.status_code == 500
    assert_headers(response)


@pytest.fixture
def secure_app(db: Database, ctx: EngineContext, esc: Escalation, clock: FakeClock, tmp_path: Path) -> Flask:
    """The app with secure cookies on, as behind HTTPS."""
    settings = Settings(instance_path=tmp_path / "instance", secret_key="test-secret", session_cookie_secure=True)
    return create_app(services=Services(settings=settings, db=db, ctx=ctx, clock=clock, escalation=esc))


def test_hsts_only_with_secure_cookies(secure_app: Flask, pages: Pages) -> None:
    client = secure_app.test_client()
    for path in ("/login", "/static/js/whistle.js", "/api/v1/health"):
        response = client.get(path, base_url="https://localhost")
        assert_headers(response, hsts=True)
        assert "max-age=" in response.headers["Strict-Transport-Security"]
    assert_headers(pages.app.test_client().get("/login"), hsts=False)


def templates() -> list[Path]:
    """Every Jinja template of the web package."""
    return sorted(WEB.rglob("templates/**/*.html"))


@pytest.mark.parametrize("path", templates(), ids=lambda p: str(p.relative_to(WEB)))
def test_templates_carry_no_inline_script(path: Path) -> None:
    """CSP allows only script files from this server: inline code would be blocked in the browser."""
    html = path.read_text(encoding="utf-8")
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, f"inline script: {tag}"
    handlers = re.findall(r"\son[a-z]+\s*=", html)
    assert handlers == [], f"inline event handlers: {handlers}"
    assert "javascript:" not in html.lower()


def test_the_template_scan_sees_every_area() -> None:
    """The scan above is not vacuous: it reads the templates that load scripts."""
    names = {str(p.relative_to(WEB)) for p in templates()}
    assert {"templates/base.html", "design/templates/design/viewer.html",
            "supervise/templates/supervise/index.html"} <= names
