"""Sign-in sessions live on the server: logout, password change, revoke and deactivation end them,
and they end by themselves when idle or too old."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine import accounts
from engine.database import Database
from engine.models import ApiToken, UserSession
from tests.support import FakeClock
from tests.web.conftest import csrf_token_of
from web.settings import Settings

PASSWORD = "whistle-demo"


def sign_in(app: Flask, username: str = "CGW.staff") -> FlaskClient:
    """A client signed in as ``username``."""
    client = app.test_client()
    token = csrf_token_of(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def signed_in(client: FlaskClient) -> bool:
    """Whether the client's cookie still opens a page that needs a signed-in user."""
    response = client.get("/notifications")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def copy_of(client: FlaskClient, app: Flask) -> FlaskClient:
    """Another browser holding a copy of ``client``'s session cookie (as a thief would)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def message_after_redirect(client: FlaskClient) -> str:
    """The login page a signed-out client is sent to, as text."""
    response = client.get("/notifications")
    assert response.status_code == 302 and "/login?next=/notifications" in response.headers["Location"]
    return str(client.get(response.headers["Location"]).get_data(as_text=True))


def test_a_cookie_copied_before_logout_no_longer_works(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    client = sign_in(app)
    thief = copy_of(client, app)
    assert signed_in(thief)
    token = csrf_token_of(client.get("/notifications").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert not signed_in(client)
    assert "您的登录已结束" in message_after_redirect(thief)
    assert not signed_in(thief)  # and it stays so


def test_idle_sessions_end_and_activity_keeps_them(make_app: Callable[..., Flask], clock: FakeClock) -> None:
    client = sign_in(make_app())
    for _ in range(4):  # two hours of a request every 25 minutes
        clock.advance(minutes=25)
        assert signed_in(client)
    clock.advance(minutes=30)
    assert "您已超过 30 分钟未操作" in message_after_redirect(client)
    assert not signed_in(client)


def test_the_idle_limit_is_a_setting(make_app: Callable[..., Flask], clock: FakeClock) -> None:
    client = sign_in(make_app(session_idle_minutes=5))
    clock.advance(minutes=4)
    assert signed_in(client)
    clock.advance(minutes=5)
    assert "您已超过 5 分钟未操作" in message_after_redirect(client)


def test_sessions_end_at_the_absolute_limit_however_active(make_app: Callable[..., Flask], clock: FakeClock) -> None:
    client = sign_in(make_app())
    for _ in range(47):  # 11 h 45 min of steady work
        clock.advance(minutes=15)
        assert signed_in(client)
    clock.advance(minutes=15)
    assert "本次登录已满 12 小时" in message_after_redirect(client)
    other = sign_in(make_app(session_max_hours=1))
    for minutes in (25, 25, 9):
        clock.advance(minutes=minutes)
        assert signed_in(other)
    clock.advance(minutes=1)
    assert not signed_in(other)


def test_the_bell_poll_does_not_keep_an_idle_session_alive(make_app: Callable[..., Flask],
                                                          clock: FakeClock) -> None:
    client = sign_in(make_app())
    for _ in range(30):  # half an hour of the bell polling every minute, nobody at the desk
        clock.advance(minutes=1)
        poll = client.get("/notifications/count", headers={"HX-Request": "true"})
        if poll.status_code != 200:
            break
    assert poll.status_code == 401
    # htmx moves the whole window to the login page instead of swapping it into the bell.
    assert poll.headers["HX-Redirect"].startswith("/login")
    assert not signed_in(client)


def test_htmx_requests_of_an_ended_session_move_the_whole_page(make_app: Callable[..., Flask],
                                                                clock: FakeClock) -> None:
    client = sign_in(make_app())
    clock.advance(minutes=31)
    response = client.get("/notifications/count", headers={"HX-Request": "true",
                                                            "HX-Current-URL": "http://localhost/inbox?queue=mine"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/inbox?queue%3Dmine"
    assert "您已超过 30 分钟未操作" in client.get("/login").get_data(as_text=True)


def test_last_seen_is_written_at_most_once_a_minute(make_app: Callable[..., Flask], clock: FakeClock,
                                                    db: Database) -> None:
    client = sign_in(make_app())

    def last_seen() -> Any:
        with db.transaction(write=False) as session:
            return session.execute(select(UserSession.last_seen_at)).scalar_one()

    signed_at = last_seen()
    clock.advance(seconds=50)
    assert signed_in(client)
    assert last_seen() == signed_at  # not written on every request
    clock.advance(seconds=20)
    assert signed_in(client)
    assert last_seen() == clock.now()


def test_a_password_change_ends_every_session(make_app: Callable[..., Flask], clock: FakeClock,
                                              db: Database) -> None:
    app = make_app()
    phone, desk = sign_in(app), sign_in(app)
    with db.transaction() as session:
        user = accounts.user_by_name(session, "CGW.staff")
        assert accounts.change_password(session, user, "a-new-password", now=clock.now()) == 2
    assert not signed_in(phone) and not signed_in(desk)
    try:
        client = app.test_client()
        token = csrf_token_of(client.get("/login").get_data(as_text=True))
        assert client.post("/login", data={"username": "CGW.staff", "password": "a-new-password",
                                           "csrf_token": token}).status_code == 302
    finally:
        with db.transaction() as session:
            accounts.change_password(session, accounts.user_by_name(session, "CGW.staff"), PASSWORD, now=clock.now())


def test_deactivation_ends_every_session(make_app: Callable[..., Flask], clock: FakeClock, db: Database) -> None:
    app = make_app()
    client = sign_in(app)
    try:
        with db.transaction() as session:
            user = accounts.user_by_name(session, "CGW.staff")
            assert accounts.set_active(session, user, False, now=clock.now()) == 1
            # Enabled again at once: the old cookie must still not come back to life.
            accounts.set_active(session, user, True, now=clock.now())
        assert not signed_in(client)
    finally:
        with db.transaction() as session:
            accounts.set_active(session, accounts.user_by_name(session, "CGW.staff"), True, now=clock.now())


def test_whistle_user_revoke_signs_the_user_out_everywhere(make_app: Callable[..., Flask], db: Database,
                                                            tmp_path: Path, clock: FakeClock) -> None:
    from web.cli import cli, register_commands

    register_commands()
    app = make_app()
    client, bystander = sign_in(app), sign_in(app, "ZJW.staff")
    url = db.url.render_as_string(hide_password=False)
    with db.transaction() as session:  # other tests leave tokens of CGW.staff too: count what is there
        user = accounts.user_by_name(session, "CGW.staff")
        accounts.issue_token(session, user, label="revoke test", now=clock.now())
        tokens = session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id))
    result = CliRunner().invoke(cli, ["--database-url", url, "--instance", str(tmp_path / "cli"),
                                      "user", "revoke", "CGW.staff"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"{tokens} token(s) of CGW.staff withdrawn, 1 session(s) ended" in result.output
    with db.transaction(write=False) as session:
        assert not session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id))
    assert not signed_in(client)
    assert signed_in(bystander)
    help_text = CliRunner().invoke(cli, ["user", "revoke", "--help"]).output
    assert "sign them out of every browser" in help_text


def test_cli_password_and_deactivate(db: Database, tmp_path: Path, make_app: Callable[..., Flask],
                                     make_user: Callable[..., None]) -> None:
    from web.cli import cli, register_commands

    register_commands()
    make_user("temp.staff", "临时", [])
    url = db.url.render_as_string(hide_password=False)

    def run(*args: str, input: str | None = None) -> Any:
        return CliRunner().invoke(cli, ["--database-url", url, "--instance", str(tmp_path / "cli"), *args],
                                  input=input, catch_exceptions=False)

    changed = run("user", "password", "temp.staff", input="long-enough\nlong-enough\n")
    assert changed.exit_code == 0 and "password of temp.staff changed, 0 session(s) ended" in changed.output
    app = make_app()
    client = app.test_client()
    token = csrf_token_of(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"username": "temp.staff", "password": "long-enough",
                                       "csrf_token": token}).status_code == 302
    short = run("user", "password", "temp.staff", "--password", "short")
    assert short.exit_code == 1 and "too short" in short.output
    off = run("user", "deactivate", "temp.staff")
    assert off.exit_code == 0 and "temp.staff deactivated, 1 session(s) ended" in off.output
    assert not signed_in(client)
    assert run("user", "activate", "temp.staff").exit_code == 0


def test_a_cookie_from_before_server_side_sessions_is_not_accepted(make_app: Callable[..., Flask],
                                                                    db: Database) -> None:
    app = make_app()
    with db.transaction(write=False) as session:
        user_id = accounts.user_by_name(session, "CGW.staff").id
    client = app.test_client()
    with client.session_transaction() as cookie:  # what the old code put in the signed cookie
        cookie["user_id"] = user_id
    assert not signed_in(client)


def test_the_session_cookie_is_secure_when_configured(make_app: Callable[..., Flask]) -> None:
    plain = make_app().test_client()
    token = csrf_token_of(plain.get("/login").get_data(as_text=True))
    response = plain.post("/login", data={"username": "CGW.staff", "password": PASSWORD, "csrf_token": token})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" not in cookie

    secure = make_app(session_cookie_secure=True).test_client()
    token = csrf_token_of(secure.get("/login", base_url="https://localhost").get_data(as_text=True))
    # Over HTTPS Flask-WTF also checks the Referer (which Referrer-Policy: same-origin still sends here).
    response = secure.post("/login", base_url="https://localhost", headers={"Referer": "https://localhost/login"},
                           data={"username": "CGW.staff", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert "; Secure" in response.headers["Set-Cookie"]


def test_settings_read_the_environment_and_refuse_nonsense() -> None:
    settings = Settings.from_env({"WHISTLE_SESSION_IDLE_MINUTES": "10", "WHISTLE_SESSION_MAX_HOURS": "8",
                                  "WHISTLE_SESSION_COOKIE_SECURE": "1"})
    assert (settings.session_idle_minutes, settings.session_max_hours, settings.session_cookie_secure) == (10, 8, True)
    assert Settings.from_env({}).session_policy.idle.total_seconds() == 30 * 60
    for bad in ("0", "-5", "ten", "9999999"):
        with pytest.raises(ValueError, match="WHISTLE_SESSION_IDLE_MINUTES"):
            Settings.from_env({"WHISTLE_SESSION_IDLE_MINUTES": bad})


def test_signing_in_removes_sessions_that_can_never_be_valid_again(make_app: Callable[..., Flask],
                                                                    clock: FakeClock, db: Database) -> None:
    app = make_app()
    sign_in(app, "ZJW.staff")  # abandoned: its holder never comes back
    sign_in(app)
    clock.advance(hours=13)
    sign_in(app)
    with db.transaction(write=False) as session:
        created = list(session.execute(select(UserSession.created_at)).scalars())
    assert created == [clock.now()]
