"""Login throttling: wrong passwords lock the account name and the address for a while, audited."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.database import Database
from engine.models import LoginEvent, User
from tests.support import FakeClock
from tests.web.conftest import csrf_token_of
from web.settings import Settings

PASSWORD = "whistle-demo"


@pytest.fixture
def client(make_app: Callable[..., Flask]) -> FlaskClient:
    """A signed-out browser on the default settings."""
    return make_app().test_client()


def attempt(client: FlaskClient, username: str, password: str, address: str = "10.0.0.1") -> Any:
    """Post the login form from ``address``."""
    token = csrf_token_of(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


def events(db: Database) -> list[tuple[str, str, str]]:
    """The sign-in audit trail: (action, username, address), oldest first."""
    with db.transaction(write=False) as session:
        return [tuple(row) for row in session.execute(  # type: ignore[misc]
            select(LoginEvent.action, LoginEvent.username, LoginEvent.address).order_by(LoginEvent.id))]


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client: FlaskClient, clock: FakeClock,
                                                                      db: Database) -> None:
    for _ in range(4):
        assert attempt(client, "CGW.staff", "guess").status_code == 401
    fifth = attempt(client, "CGW.staff", "guess")
    assert fifth.status_code == 429
    assert "登录失败次数过多，请 15 分钟后再试" in fifth.get_data(as_text=True)
    right = attempt(client, "CGW.staff", PASSWORD)
    assert right.status_code == 429 and right.headers["Retry-After"] == str(15 * 60)
    assert "登录失败次数过多，请 15 分钟后再试" in right.get_data(as_text=True)
    clock.advance(minutes=10)
    assert "请 5 分钟后再试" in attempt(client, "CGW.staff", PASSWORD).get_data(as_text=True)
    clock.advance(minutes=5)
    assert attempt(client, "CGW.staff", PASSWORD).status_code == 302
    assert events(db) == [("failed", "CGW.staff", "10.0.0.1")] * 5 + [("locked", "CGW.staff", "10.0.0.1")] + \
        [("refused", "CGW.staff", "10.0.0.1")] * 2
    with db.transaction(write=False) as session:
        user_id = session.execute(select(User.id).where(User.username == "CGW.staff")).scalar_one()
        assert set(session.execute(select(LoginEvent.user_id)).scalars()) == {user_id}


def test_the_lock_follows_the_account_from_any_address(client: FlaskClient) -> None:
    for number in range(5):
        attempt(client, "CGW.staff", "guess", address=f"10.0.1.{number}")
    assert attempt(client, "CGW.staff", PASSWORD, address="10.9.9.9").status_code == 429
    assert attempt(client, "ZJW.staff", PASSWORD, address="10.9.9.9").status_code == 302  # others unaffected


def test_unknown_names_lock_the_same_way(client: FlaskClient, db: Database) -> None:
    """A lock must not tell an outsider which names exist."""
    answers = [attempt(client, "no.such.person", "guess").status_code for _ in range(6)]
    assert answers == [401, 401, 401, 401, 429, 429]
    assert ("locked", "no.such.person", "10.0.0.1") in events(db)


def test_locks_grow_while_the_guessing_goes_on(client: FlaskClient, clock: FakeClock) -> None:
    for minutes in (15, 30, 60):
        for _ in range(5):
            last = attempt(client, "CGW.staff", "guess")
        assert f"请 {minutes} 分钟后再试" in last.get_data(as_text=True)
        clock.advance(minutes=minutes)
    assert attempt(client, "CGW.staff", PASSWORD).status_code == 302
    for _ in range(5):  # the successful sign-in forgot the history: back to 15 minutes
        last = attempt(client, "CGW.staff", "guess")
    assert "请 15 分钟后再试" in last.get_data(as_text=True)


def test_a_successful_sign_in_clears_the_account_count(client: FlaskClient) -> None:
    for _ in range(2):
        for _ in range(4):
            assert attempt(client, "CGW.staff", "guess").status_code == 401
        assert attempt(client, "CGW.staff", PASSWORD).status_code == 302


def test_failures_older_than_the_window_are_forgotten(client: FlaskClient, clock: FakeClock) -> None:
    for _ in range(4):
        attempt(client, "CGW.staff", "guess")
    clock.advance(minutes=16)
    for _ in range(4):
        assert attempt(client, "CGW.staff", "guess").status_code == 401
    assert attempt(client, "CGW.staff", PASSWORD).status_code == 302


def test_one_address_guessing_many_names_is_locked(client: FlaskClient, db: Database) -> None:
    for number in range(20):  # four guesses at each of five names: no account reaches its limit
        attempt(client, f"guess.{number % 5}", "guess", address="10.0.2.2")
    locked = attempt(client, "CGW.staff", PASSWORD, address="10.0.2.2")
    assert locked.status_code == 429 and "登录失败次数过多" in locked.get_data(as_text=True)
    assert attempt(client, "CGW.staff", PASSWORD, address="10.0.2.3").status_code == 302
    # Signing in from the locked address as someone else does not lift the address's lock.
    assert attempt(client, "ZJW.staff", PASSWORD, address="10.0.2.2").status_code == 429
    assert ("locked", "", "10.0.2.2") in events(db)


def test_the_limits_are_settings(make_app: Callable[..., Flask]) -> None:
    client = make_app(login_max_failures=2, login_lock_minutes=3).test_client()
    assert attempt(client, "CGW.staff", "guess").status_code == 401
    assert "请 3 分钟后再试" in attempt(client, "CGW.staff", "guess").get_data(as_text=True)
    no_address_lock = make_app(login_max_failures_per_address=0, login_max_failures=100).test_client()
    for _number in range(30):
        attempt(no_address_lock, "ZJW.staff", "guess", address="10.0.3.3")
    assert attempt(no_address_lock, "ZJW.staff", PASSWORD, address="10.0.3.3").status_code == 302


def test_odd_names_are_counted_and_audited_without_errors(client: FlaskClient, db: Database) -> None:
    for name in ("x" * 300, "bad\x00name", "王\t五"):
        response = attempt(client, name, "guess")
        assert response.status_code in (400, 401, 422), response.status_code
    assert all(len(username) <= 64 for _action, username, _address in events(db))


def test_settings_read_the_environment() -> None:
    settings = Settings.from_env({"WHISTLE_LOGIN_MAX_FAILURES": "3", "WHISTLE_LOGIN_MAX_FAILURES_PER_ADDRESS": "0",
                                  "WHISTLE_LOGIN_LOCK_MINUTES": "30"})
    policy = settings.throttle_policy
    assert (policy.account_failures, policy.address_failures, policy.lock.total_seconds()) == (3, 0, 1800)
    with pytest.raises(ValueError, match="WHISTLE_LOGIN_LOCK_MINUTES"):
        Settings.from_env({"WHISTLE_LOGIN_LOCK_MINUTES": "0"})


def test_behind_a_proxy_the_visitor_address_is_counted(make_app: Callable[..., Flask]) -> None:
    """With WHISTLE_PROXY_COUNT=1 one guesser behind nginx does not lock out everyone else."""
    client = make_app(proxy_count=1).test_client()

    def via_proxy(username: str, password: str, visitor: str) -> Any:
        token = csrf_token_of(client.get("/login").get_data(as_text=True))
        return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                           environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"X-Forwarded-For": visitor})

    for number in range(20):
        via_proxy(f"guess.{number % 5}", "guess", "203.0.113.9")
    assert via_proxy("CGW.staff", PASSWORD, "203.0.113.9").status_code == 429
    assert via_proxy("CGW.staff", PASSWORD, "198.51.100.4").status_code == 302
    # Without a configured proxy the header is not believed: a guesser cannot pick a fresh address.
    direct = make_app().test_client()
    for number in range(20):
        token = csrf_token_of(direct.get("/login").get_data(as_text=True))
        direct.post("/login", data={"username": f"other.{number % 5}", "password": "guess", "csrf_token": token},
                    environ_base={"REMOTE_ADDR": "10.0.4.4"}, headers={"X-Forwarded-For": f"192.0.2.{number}"})
    assert attempt(direct, "ZJW.staff", PASSWORD, address="10.0.4.4").status_code == 429
