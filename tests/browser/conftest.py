"""Browser tests: Debian's chromium, headless, driven by Playwright against a live ``whistle serve``.

One server per backend per session, on a fresh database initialised, deployed and seeded
through the real command line; its clock is a file the tests move (``live.clock.set``).
Every test starts from the state the first one found: no cases, tasks, events, clocks or
notifications, and the clock on real time (``live.reset()``, run before each test), so what
a test counts is what it made, whatever ran before it. Deployed processes, policies, users and
tokens stay. Screenshots land in ``test-artifacts/screenshots/``.
"""
from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from engine.clock import FileClock
from engine.database import Database
from tests.databases import create_schema, drop_schema
from tests.http_client import LiveServer, environment, whistle
from tests.support import PROCESSES

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("WHISTLE_CHROMIUM", "/usr/bin/chromium")
# Flags for a closed network and a root user (see the machine notes): no sandbox, no background calls.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "whistle-demo"
# What cases write, children first (plain DELETEs: the server keeps its connections and caches).
CASE_TABLES = ["attachment", "notification", "escalation_record", "extension_request", "task_deadline",
               "task_event", "human_task", "instance_department", "public_demand", "consultation_vote",
               "consultation_comment", "process_instance"]

pytestmark = pytest.mark.browser


@dataclass
class Live:
    """A running server with its database URL, environment and movable clock."""

    server: LiveServer
    url: str
    env: dict[str, str]
    clock: FileClock
    backend: str
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def base(self) -> str:
        """The server's base URL."""
        return self.server.base

    def whistle(self, *args: str) -> str:
        """Run a ``whistle`` command against this server's database and clock."""
        return whistle(*args, env=self.env)

    def reset(self) -> None:
        """Back to the state after seeding: no case or anything a case wrote, the clock on real time."""
        db = self.extra.get("db")
        if not isinstance(db, Database):
            db = self.extra["db"] = Database(self.url, pool_size=1)
        # A request the previous test left in flight (the bell's poll, say) may hold row locks in
        # another order; PostgreSQL then aborts one side as a deadlock. If that is us, go again.
        for attempt in range(5):
            try:
                with db.transaction() as session:
                    for table in CASE_TABLES:
                        session.execute(text(f"DELETE FROM {table}"))
                break
            except OperationalError:
                if attempt == 4:
                    raise
        self.clock.path.write_text("")

    def close(self) -> None:
        """Release the test's own connections to the server's database."""
        db = self.extra.pop("db", None)
        if isinstance(db, Database):
            db.dispose()


# Layout and accessibility checks judge what the browser draws, which no database changes: they run
# on one backend (``@pytest.mark.parametrize("live", LAYOUT_ONLY, indirect=True)``), every
# test of behaviour on both. About 100 s less on the browser worker.
LAYOUT_ONLY = ["sqlite"]


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """A seeded server on each backend, for the whole session."""
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        pytest.fail(f"chromium not found at {CHROMIUM}: install Debian's chromium package (.ci/run does)")
    tmp = tmp_path_factory.mktemp(f"live-{request.param}")
    schema_name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'ui.sqlite3'}"
    else:
        schema_name, url = create_schema("whistle_ui")
    clock_path = tmp / "clock"
    clock_path.write_text("")
    captcha_path = tmp / "captcha"
    captcha_path.write_text("2468")  # the digits every public captcha of this server shows
    env = {**environment(url, tmp / "instance"), "WHISTLE_CLOCK_FILE": str(clock_path),
           "WHISTLE_CAPTCHA_FILE": str(captcha_path)}
    whistle("init", env=env)
    whistle("deploy", str(PROCESSES), env=env)
    whistle("seed-demo", env=env)
    server = LiveServer(env, tmp / "server.log")
    found = Live(server, url, env, FileClock(clock_path), request.param)
    try:
        yield found
    finally:
        found.close()
        server.stop()
        if schema_name is not None:
            drop_schema(schema_name)


@pytest.fixture(autouse=True)
def clean_live(request: pytest.FixtureRequest) -> None:
    """Each test that uses a live server finds it as the first test did (see the module docstring)."""
    if "live" in request.fixturenames:
        live: Live = request.getfixturevalue("live")
        live.reset()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless chromium for the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page_as(browser: object, live: Live, request: pytest.FixtureRequest) -> Iterator[Callable[..., object]]:
    """``page_as("CGW.staff")``: a signed-in page in a fresh browser context (1280×800, Chinese)."""
    contexts = []

    def open_as(username: str, *, lang: str = "zh_CN") -> object:
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")  # type: ignore[attr-defined]
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        if lang != "zh_CN":
            page.goto(f"{live.base}/lang/{lang}")
        page.goto(f"{live.base}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"^(?!.*/login).*$"))
        return page

    yield open_as
    for context in contexts:
        context.close()


def screenshot(page: object, name: str) -> Path:
    """Save a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook, which reads the groups to schedule by them
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep each backend's browser tests on one xdist worker: one live server per backend, started once.

    Two groups, not one: the two workers then share the browser tests about evenly instead of one of
    them carrying all of them.
    """
    for item in items:
        if "tests/browser/" in str(item.fspath):
            callspec = getattr(item, "callspec", None)
            backend = callspec.params.get("live", "none") if callspec is not None else "none"
            item.add_marker(pytest.mark.xdist_group(f"browser_{backend}"))
