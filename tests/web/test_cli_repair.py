"""``whistle case ...`` and ``whistle migrate``: repair and migration from the shell, with clear refusals."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from engine import instances
from engine.accounts import user_by_name
from engine.actors import actor_of
from engine.models import InstanceStatus, ProcessInstance
from tests.support import PROCESSES, WHISTLE_DATA
from web.cli import cli, register_commands
from web.services import build_services
from web.settings import Settings

register_commands()


def test_suspend_show_move_resume_retry_and_migrate_refusals(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"

    def run(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(cli, ["--database-url", url, "--instance", str(tmp_path / "instance"), *args],
                                  catch_exceptions=False)

    assert run("init").exit_code == 0 and run("deploy", str(PROCESSES)).exit_code == 0
    assert run("seed-demo").exit_code == 0
    services = build_services(Settings.from_env(database_url=url, instance_path=tmp_path / "instance"))
    with services.db.transaction() as session:
        officer = actor_of(user_by_name(session, "HP.officer"))
        case = instances.start(session, services.ctx, officer, "whistle", {**WHISTLE_DATA, "departments": ["CGW"]},
                               now=services.clock.now()).id

    assert "--reason" in run("case", "suspend", "--help").output
    refused = run("case", "suspend", str(case), "--reason", "系统维护", "--as", "designer")
    assert refused.exit_code == 1 and "Only administrators" in refused.output and "Traceback" not in refused.output
    assert run("case", "suspend", str(case), "--reason", "系统维护", "--as", "admin").exit_code == 0
    with services.db.transaction(write=False) as session:
        assert session.get(ProcessInstance, case).status == InstanceStatus.SUSPENDED  # type: ignore[union-attr]
    assert run("case", "resume", str(case), "--reason", "维护完毕", "--as", "admin").exit_code == 0

    shown = run("case", "show", str(case), "--as", "designer")
    assert shown.exit_code == 0 and "whistle_department:Task_sign" in shown.output
    token = next(line.split()[0] for line in shown.output.splitlines() if "Task_sign" in line)
    moved = run("case", "move", str(case), "--token", token, "--to", "Task_handle", "--reason", "跳过签收",
                "--as", "admin")
    assert moved.exit_code == 0, moved.output
    assert "Task_handle" in run("case", "show", str(case), "--as", "admin").output
    retried = run("case", "retry", str(case), "--set", "urgent=true", "--reason", "重试", "--as", "admin")
    assert retried.exit_code == 0 and "running" in retried.output

    same = run("migrate", "whistle", "--from", "1", "--to", "1", "--dry-run", "--as", "admin")
    assert same.exit_code == 1 and "Traceback" not in same.output
    missing = run("migrate", "whistle", "--from", "1", "--to", "2", "--dry-run", "--as", "admin")
    assert missing.exit_code == 1 and "version 2" in missing.output
    assert run("migrate", "whistle", "--from", "1", "--to", "2", "--as", "admin").exit_code == 2  # no reason
