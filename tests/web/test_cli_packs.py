"""``whistle validate|deploy`` of packs and processes folders, the packs' calendars merged, ``whistle demo``."""
from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, text

from engine.database import Database
from engine.definitions import bundle_from_path
from engine.errors import DefinitionInvalid
from engine.expressions import Evaluator
from engine.models import ProcessDefinition
from tests.conftest import BACKENDS
from tests.databases import create_schema, drop_schema
from tests.organisation import validate_demo
from tests.support import FIXTURES, PROCESSES, WHISTLE_PACK
from web.cli import cli, register_commands, running
from web.services import calendars_of
from web.settings import Settings

register_commands()
Run = Callable[..., Result]


@pytest.fixture(params=BACKENDS)
def run(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Run]:
    """Invoke the CLI against a fresh database of each backend; ``run.counts()`` tells what was deployed."""
    schema_name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    else:
        schema_name, url = create_schema("whistle_pk")

    def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(cli, ["--database-url", url, "--instance", str(tmp_path / "instance"), *args],
                                  env=env, catch_exceptions=False)

    def counts() -> tuple[int, int]:
        db = Database(url)
        try:
            with db.transaction(write=False) as session:
                return (session.execute(text("SELECT count(*) FROM process_definition")).scalar_one(),
                        session.execute(text("SELECT count(*) FROM sla_policy")).scalar_one())
        finally:
            db.dispose()

    invoke.url = url  # type: ignore[attr-defined]
    invoke.counts = counts  # type: ignore[attr-defined]
    yield invoke
    if schema_name is not None:
        drop_schema(schema_name)


def copy_pack(source: Path, target: Path, pack_yaml: str | None = None) -> Path:
    """A copy of a pack (its pack.yaml replaced when given)."""
    shutil.copytree(source, target)
    if pack_yaml is not None:
        (target / "pack.yaml").write_text(pack_yaml, encoding="utf-8")
    return target


def timer_pack(folder: Path, code: str, requires: str = "[]") -> Path:
    """A pack holding the valid timer fixture (process ``timer_escalation``) and its forms."""
    folder.mkdir(parents=True)
    shutil.copy(FIXTURES / "bpmn" / "valid" / "timer_escalation.bpmn", folder)
    shutil.copytree(FIXTURES / "bpmn" / "valid" / "forms", folder / "forms")
    (folder / "pack.yaml").write_text(f"code: {code}\nname: 计时包\nrequires: {requires}\n", encoding="utf-8")
    return folder


def test_the_whistle_pack_deploys_what_the_old_layout_deployed(run: Run, tmp_path: Path) -> None:
    """processes/ as it was before packs: whistle.bpmn with forms/ and policies/ beside it, no pack.yaml."""
    old = tmp_path / "old-processes"
    old.mkdir()
    for name in ("whistle.bpmn", "forms", "policies"):
        (shutil.copytree if name != "whistle.bpmn" else shutil.copy)(WHISTLE_PACK / name, old / name)
    before = validate_demo(bundle_from_path(old / "whistle.bpmn"), Evaluator())
    assert run("init").exit_code == 0
    deployed = run("deploy", str(WHISTLE_PACK))  # a fresh database: no deployed forms to fall back on
    assert deployed.exit_code == 0, deployed.output
    policy = WHISTLE_PACK / "policies" / "whistle.yaml"
    synced, *lines = deployed.output.splitlines()
    assert synced.startswith("organisation: ") and " added, 0 changed" in synced  # the units and roles come first
    assert lines == [f"deployed: whistle v1 ({WHISTLE_PACK / 'whistle.bpmn'})",
                     f"deployed: policy whistle v1 ({policy})"]
    db = Database(run.url)  # type: ignore[attr-defined]
    try:
        with db.transaction(write=False) as session:
            stored = session.execute(select(ProcessDefinition)).scalar_one()
            assert (stored.bundle_sha256, stored.sha256) == (before.bundle_sha256, before.sha256)
            assert stored.catalog == before.catalog and stored.forms == before.forms
    finally:
        db.dispose()
    # An installation that deployed the old layout upgrades (the packs named, so other packs need not be ready).
    again = run("deploy", str(old), str(WHISTLE_PACK), str(PROCESSES / "demo-city"))
    assert again.exit_code == 0, again.output
    assert [line.split(" (")[0] for line in again.output.splitlines()] == [
        "unchanged: whistle v1", "unchanged: whistle v1", "unchanged: policy whistle v1",
        "unchanged: policy whistle v1", "pack demo-city: no processes or policies to deploy"]


def test_deploy_of_a_processes_folder_takes_every_pack_after_those_it_requires(run: Run, tmp_path: Path) -> None:
    processes = tmp_path / "processes"
    copy_pack(WHISTLE_PACK, processes / "alpha", "code: alpha\nname: 吹哨\nrequires: [zulu]\n")
    timer_pack(processes / "zulu", "zulu")
    assert run("init").exit_code == 0
    checked = run("validate", str(processes))
    assert checked.exit_code == 0, checked.output
    assert f"{processes / 'alpha' / 'pack.yaml'}: ok (pack alpha, requires zulu)" in checked.output
    deployed = run("deploy", str(processes))
    assert deployed.exit_code == 0, deployed.output
    synced, *lines = [line.split(" (")[0] for line in deployed.output.splitlines()]
    assert synced.startswith("organisation: ")
    assert lines == ["deployed: timer_escalation v1", "deployed: whistle v1", "deployed: policy whistle v1"]


@pytest.mark.parametrize("broken", ["syntax", "unknown requirement", "circle"])
def test_a_pack_with_a_bad_pack_yaml_deploys_nothing_of_any_pack(run: Run, tmp_path: Path, broken: str) -> None:
    processes = tmp_path / "processes"
    copy_pack(WHISTLE_PACK, processes / "whistle", "code: whistle\nname: 吹哨\n")  # good on its own
    bad = {"syntax": "code: timer\nname: [计时\n", "unknown requirement": "code: timer\nname: 计时\nrequires: [city]\n",
           "circle": "code: timer\nname: 计时\nrequires: [whistle]\n"}[broken]
    timer_pack(processes / "timer", "timer")
    (processes / "timer" / "pack.yaml").write_text(bad, encoding="utf-8")
    if broken == "circle":
        (processes / "whistle" / "pack.yaml").write_text("code: whistle\nname: 吹哨\nrequires: [timer]\n")
    assert run("init").exit_code == 0
    result = run("deploy", str(processes))
    assert result.exit_code == 1 and "Traceback" not in result.output
    located = {"syntax": f"{processes / 'timer' / 'pack.yaml'}:3: -: not valid YAML",
               "unknown requirement": f"{processes / 'timer' / 'pack.yaml'}:3: requires: requires pack city",
               "circle": f"{processes / 'timer' / 'pack.yaml'}:3: requires: the packs require each other in a "
                         "circle: timer → whistle → timer"}[broken]
    assert any(line.startswith(located) for line in result.output.splitlines()), result.output
    assert "nothing was deployed" in result.output
    assert run.counts() == (0, 0)  # type: ignore[attr-defined]


def test_one_pack_is_checked_with_the_packs_it_requires(tmp_path: Path) -> None:
    alone = copy_pack(WHISTLE_PACK, tmp_path / "processes" / "whistle")  # requires demo-city, not copied
    result = CliRunner().invoke(cli, ["validate", str(alone)])
    assert result.exit_code == 1
    assert f"{alone / 'pack.yaml'}:6: requires: requires pack demo-city, which is not in {alone.parent}" \
        in result.output.splitlines()
    shutil.copytree(PROCESSES / "demo-city", tmp_path / "processes" / "demo-city")
    assert CliRunner().invoke(cli, ["validate", str(alone)]).exit_code == 0


def calendar_pack(processes: Path, code: str, calendars: dict[str, str]) -> Path:
    folder = processes / code
    (folder / "calendars").mkdir(parents=True)
    (folder / "pack.yaml").write_text(f"code: {code}\nname: 日历包\n", encoding="utf-8")
    for name, body in calendars.items():
        (folder / "calendars" / name).write_text(body, encoding="utf-8")
    return folder


OFFICE = ('name: 办公日历\ndefault: true\ntimezone: Asia/Shanghai\nwindows: [["09:00", "17:00"]]\n'
          "workdays: [mon, tue, wed, thu, fri]\nstatutory: false\n")
DUTY = ('name: 值守日历\ntimezone: Asia/Shanghai\nwindows: [["00:00", "24:00"]]\n'
        "workdays: [mon, tue, wed, thu, fri, sat, sun]\nstatutory: false\ndepartments: [YJJ]\n")


def due(processes: Path, department: str) -> Result:
    """``whistle calendar due`` of four working hours from a Friday 16:00, with ``processes`` as the server's."""
    return CliRunner().invoke(cli, ["calendar", "due", "--from", "2026-10-09T16:00+08:00", "--limit", "4wh",
                                    "--department", department], env={"WHISTLE_PROCESSES_DIR": str(processes)})


def test_the_server_works_by_the_calendars_of_every_pack(tmp_path: Path) -> None:
    processes = tmp_path / "processes"
    calendar_pack(processes, "city", {"office.yaml": OFFICE})
    calendar_pack(processes, "duty", {"duty.yaml": DUTY})
    calendars = calendars_of(Settings(processes_dir=processes))
    assert calendars.default.name == "办公日历" and calendars.for_department("YJJ").name == "值守日历"
    # Round the clock for YJJ, office hours (Friday 16-17, then Monday 9-12) for everyone else.
    assert due(processes, "YJJ").output.strip() == "2026-10-09T20:00:00+08:00"
    assert due(processes, "CGW").output.strip() == "2026-10-12T12:00:00+08:00"
    named_twice = CliRunner().invoke(cli, ["validate", str(processes), str(processes / "duty")])
    assert named_twice.exit_code == 0, named_twice.output  # one pack named twice clashes with nothing


def test_a_calendar_defined_by_two_packs_is_refused_naming_both_files(tmp_path: Path) -> None:
    processes = tmp_path / "processes"
    city = calendar_pack(processes, "city", {"office.yaml": OFFICE})
    duty = calendar_pack(processes, "duty", {"duty.yaml": DUTY, "office.yaml": OFFICE.replace("default: true\n", "")})
    with pytest.raises(DefinitionInvalid) as refused:
        calendars_of(Settings(processes_dir=processes))
    clash = f"{duty / 'calendars' / 'office.yaml'}:1: name: calendar 办公日历 is also defined in " \
            f"{city / 'calendars' / 'office.yaml'}"
    assert [p.located() for p in refused.value.problems] == [clash]
    answered = due(processes, "YJJ")
    assert answered.exit_code == 1 and clash in answered.output.splitlines()
    checked = CliRunner().invoke(cli, ["validate", str(processes)])
    assert checked.exit_code == 1 and clash in checked.output.splitlines()


def test_demo_deploys_every_pack_and_seeds_the_demo_city(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[dict[str, Any]] = []
    monkeypatch.setattr(running, "serve", lambda **options: served.append(options))
    monkeypatch.setattr(running.scheduler, "start_in_background", lambda job, interval: None)
    monkeypatch.setattr(running, "_log_to_console", lambda: None)
    result = run("demo", "--port", "5999")
    assert result.exit_code == 0, result.output
    assert f"deployed: whistle v1 ({WHISTLE_PACK / 'whistle.bpmn'})" in result.output
    assert "HP.officer" in result.output and served and served[0]["port"] == 5999
    # Each pack's featured logins, in its demo.yaml's order: the whistle's first, then the 12345 order's.
    listed = result.output.split("Demo logins", 1)[1].splitlines()[1:]
    printed = [line.split()[0] for line in listed if line.startswith("  ") and not line.startswith("  (")]
    assert printed[:2] == ["HP.officer", "HP.leader"] and "DEMO12345.operator" in printed
    assert printed.index("DEMO12345.operator") > printed.index("admin")
    assert run.counts() == (4, 3)  # type: ignore[attr-defined]  # whistle, rxjb, ywtb (each with its policy), yishi
    assert run("user", "token", "DCS.supervisor").exit_code == 0  # the demo city's logins were seeded
