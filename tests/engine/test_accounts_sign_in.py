"""Signing in costs the same hash work whoever is named, and odd names are handled below the web."""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from engine import accounts, passwords
from engine.database import Database
from engine.login_throttle import LoginLocked, ThrottlePolicy
from engine.models import LoginEvent
from engine.sign_in import WrongPassword, sign_in
from engine.user_sessions import SessionPolicy
from tests.support import FakeClock


@pytest.fixture
def scrypt_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The cost parameters of every scrypt call made through engine.passwords."""
    calls: list[dict[str, Any]] = []
    real = hashlib.scrypt

    def counting(password: bytes, **kwargs: Any) -> bytes:
        calls.append({k: kwargs[k] for k in ("n", "r", "p", "dklen")})
        return real(password, **kwargs)

    monkeypatch.setattr(passwords.hashlib, "scrypt", counting)
    return calls


def test_every_name_costs_one_full_password_hash(db: Database, clock: FakeClock,
                                                 make_user: Callable[..., None],
                                                 scrypt_calls: list[dict[str, Any]]) -> None:
    make_user("no.password", "无密码", [])  # a login without a password: as costly as a wrong one
    make_user("gone.user", "已停用", [("CGW", "dept_staff")])
    with db.transaction() as session:
        gone = accounts.user_by_name(session, "gone.user")
        gone.password_hash = passwords.hash_password("whistle-demo")
        accounts.set_active(session, gone, False, now=clock.now())
    passwords.verify_password("warm-up", None)  # the dummy hash is made once, on first need
    scrypt_calls.clear()
    names = ["CGW.staff", "no.such.person", "no.password", "gone.user", "x" * 300, "bad\x00name", ""]
    with db.transaction(write=False) as session:
        for name in names:
            before = len(scrypt_calls)
            assert accounts.check_password(session, name, "whistle-demo" if name == "gone.user" else "guess") is None
            assert len(scrypt_calls) == before + 1, f"{name!r} cost {len(scrypt_calls) - before} hashes"
    assert all(call == scrypt_calls[0] for call in scrypt_calls), scrypt_calls
    assert scrypt_calls[0]["n"] == 2 ** 14


def test_the_dummy_hash_is_made_lazily_and_once(scrypt_calls: list[dict[str, Any]]) -> None:
    passwords._dummy_hash.cache_clear()
    assert passwords.verify_password("a", None) is False
    assert len(scrypt_calls) == 2  # made (one hash), then checked against (one more)
    assert passwords.verify_password("b", "") is False
    assert len(scrypt_calls) == 3


def test_sign_in_refuses_and_audits_odd_names(db: Database, clock: FakeClock) -> None:
    policy = ThrottlePolicy(account_failures=2, address_failures=100)
    for name in ("\ud800", "a\x00b", "王五", "x" * 65):
        for _attempt in range(3):
            with pytest.raises((WrongPassword, LoginLocked)):
                sign_in(db, name, "guess", now=clock.now(), address="10.0.0.9", user_agent="t", throttle=policy,
                        sessions=SessionPolicy())
    with db.transaction(write=False) as session:
        names = set(session.execute(select(LoginEvent.username)).scalars())
        actions = [a for a in session.execute(select(LoginEvent.action).order_by(LoginEvent.id)).scalars()]
    assert names == {"\\ud800", "a\\x00b", "王五", "x" * 64}
    # Only printable names of a possible length are counted per account (and so can lock).
    assert actions.count("locked") == 1


def test_sign_in_opens_a_session_and_clears_the_count(db: Database, clock: FakeClock) -> None:
    policy = ThrottlePolicy(account_failures=3)
    for _ in range(2):
        with pytest.raises(WrongPassword):
            sign_in(db, "CGW.staff", "guess", now=clock.now(), address="a", user_agent="t", throttle=policy,
                    sessions=SessionPolicy())
    done = sign_in(db, "CGW.staff", "whistle-demo", now=clock.now(), address="a", user_agent="t", throttle=policy,
                   sessions=SessionPolicy())
    assert len(done.token) >= 40
    for _ in range(2):
        with pytest.raises(WrongPassword):
            sign_in(db, "CGW.staff", "guess", now=clock.now(), address="a", user_agent="t", throttle=policy,
                    sessions=SessionPolicy())


def test_counters_of_long_quiet_names_are_forgotten(db: Database, clock: FakeClock) -> None:
    from engine.models import LoginThrottle

    policy = ThrottlePolicy()
    for name in ("guess.a", "guess.b"):
        with pytest.raises(WrongPassword):
            sign_in(db, name, "guess", now=clock.now(), address="10.0.0.7", user_agent="t", throttle=policy,
                    sessions=SessionPolicy())
    clock.advance(hours=25)  # beyond the longest lock: nothing depends on those counters any more
    with pytest.raises(WrongPassword):
        sign_in(db, "guess.c", "guess", now=clock.now(), address="10.0.0.8", user_agent="t", throttle=policy,
                sessions=SessionPolicy())
    with db.transaction(write=False) as session:
        keys = sorted(session.execute(select(LoginThrottle.key)).scalars())
    assert keys == ["10.0.0.8", "guess.c"]
