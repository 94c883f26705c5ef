"""The ``whistle`` command: init, deploy, seed, users and tokens, with clear errors."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import accounts
from engine.database import Database
from tests.support import PROCESSES, WHISTLE_PACK
from web.cli import cli, register_commands

register_commands()


@pytest.fixture
def run(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Invoke the CLI against a fresh SQLite file in ``tmp_path``."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"

    def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(cli, ["--database-url", url, "--instance", str(tmp_path / "instance"), *args],
                                  input=input, catch_exceptions=False)

    invoke.url = url  # type: ignore[attr-defined]
    return invoke


def test_commands_refuse_an_uninitialised_database_clearly(run) -> None:  # type: ignore[no-untyped-def]
    result = run("deploy", str(PROCESSES))
    assert result.exit_code == 1
    assert "run 'whistle init' first" in result.output
    assert "Traceback" not in result.output


def test_init_deploy_seed_and_tokens(run) -> None:  # type: ignore[no-untyped-def]
    assert run("init").exit_code == 0
    first = run("deploy", str(PROCESSES))
    assert first.exit_code == 0 and "deployed: whistle v1" in first.output
    again = run("deploy", str(PROCESSES))
    assert "unchanged: whistle v1" in again.output
    seeded = run("seed-demo")
    assert seeded.exit_code == 0 and "logins added" in seeded.output
    token = run("user", "token", "HP.officer")
    assert token.exit_code == 0 and token.stdout.count("\n") == 1  # the token alone: TOKEN=$(...) works
    assert "valid until" in token.stderr and "(Beijing time)" in token.stderr
    db = Database(run.url)
    with db.transaction(write=False) as session:
        now = datetime.now(UTC)
        user = accounts.user_for_token(session, token.stdout.strip(), now=now)
        assert user is not None and user.username == "HP.officer"
        # 90 days by default: valid on day 89, gone on day 91.
        assert accounts.user_for_token(session, token.stdout.strip(), now=now + timedelta(days=89)) is not None
        assert accounts.user_for_token(session, token.stdout.strip(), now=now + timedelta(days=91)) is None
    several = run("user", "token", "HP.officer", "CGW.staff").stdout.split("\n")
    assert [line.split(" ")[0] for line in several if line] == ["HP.officer", "CGW.staff"]
    short = run("user", "token", "HP.officer", "--days", "1").stdout.strip()
    with db.transaction(write=False) as session:
        assert accounts.user_for_token(session, short, now=now + timedelta(hours=23)) is not None
        assert accounts.user_for_token(session, short, now=now + timedelta(hours=25)) is None
    assert run("user", "token", "HP.officer", "--days", "0").exit_code == 2
    revoked = run("user", "revoke", "HP.officer")
    assert revoked.exit_code == 0 and "3 token(s) of HP.officer withdrawn" in revoked.output
    with db.transaction(write=False) as session:
        assert accounts.user_for_token(session, token.stdout.strip(), now=now) is None


PASSWORD = "s3cret-pass\ns3cret-pass\n"


def test_user_add_with_seats_and_errors(run) -> None:  # type: ignore[no-untyped-def]
    run("init")
    run("seed-demo")
    added = run("user", "add", "li.si", "--name", "李四", "--seat", "CGW:dept_staff", input=PASSWORD)
    assert added.exit_code == 0, added.output
    dup = run("user", "add", "li.si", "--seat", "CGW:dept_staff", input=PASSWORD)
    assert dup.exit_code == 1 and "already exists" in dup.output
    malformed = run("user", "add", "wang", "--seat", "CGW-boss", input=PASSWORD)
    assert malformed.exit_code == 2 and "UNIT:ROLE" in malformed.output and "Password" not in malformed.output
    bad_role = run("user", "add", "wang", "--seat", "CGW:boss", input=PASSWORD)
    assert bad_role.exit_code == 1 and "boss" in bad_role.output
    misfit = run("user", "add", "wang", "--seat", "HP:dept_staff", input=PASSWORD)
    assert misfit.exit_code == 1 and "cannot sit in" in misfit.output
    assert run("user", "token", "wang").exit_code == 1  # refused seats leave no user behind
    bad_dept = run("user", "add", "zhao", "--seat", "NOPE:dept_staff", input=PASSWORD)
    assert bad_dept.exit_code == 1 and "NOPE" in bad_dept.output
    unknown = run("user", "token", "nobody")
    assert unknown.exit_code == 1 and "nobody" in unknown.output


def test_deploy_of_a_broken_file_deploys_nothing(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("init")
    broken = tmp_path / "broken" / "whistle.bpmn"
    broken.parent.mkdir()
    broken.write_bytes((WHISTLE_PACK / "whistle.bpmn").read_bytes().replace(b'targetRef="Task_rate"', b'targetRef="X"'))
    (broken.parent / "forms").symlink_to(WHISTLE_PACK / "forms")
    result = run("deploy", str(WHISTLE_PACK / "whistle.bpmn"), str(broken))
    assert result.exit_code == 1
    assert "whistle.bpmn:" in result.output and "targetRef X does not exist" in result.output
    listing = Database(run.url)
    from sqlalchemy import text

    with listing.transaction(write=False) as session:
        assert session.execute(text("SELECT count(*) FROM process_definition")).scalar_one() == 0


def test_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--database-url", "postgresql://nobody@127.0.0.1:1/none", "init"])
    assert result.exit_code == 1
    assert "cannot use the database" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("variable", "value"), [("WHISTLE_SESSION_IDLE_MINUTES", "0"),
                                                  ("WHISTLE_MAX_BODY_BYTES", "9" * 5000),
                                                  ("WHISTLE_MAX_JSON_DEPTH", "deep"),
                                                  ("WHISTLE_PENDING_UPLOAD_MB", "-1")])
def test_a_bad_setting_is_one_line_naming_it(tmp_path: Path, variable: str, value: str) -> None:
    result = CliRunner().invoke(cli, ["--instance", str(tmp_path), "init"], env={variable: value})
    assert result.exit_code == 1
    assert f"Error: {variable} must be a whole number from" in result.output
    assert len(result.output) < 200  # the refused value is quoted cut short
    assert "Traceback" not in result.output and result.exception is not None
    assert not (tmp_path / "whistle.sqlite3").exists()  # nothing was started half-configured
