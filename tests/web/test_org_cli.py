"""``whistle org sync|show``: the diff, --check changing nothing, idempotence, located errors."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from engine.database import Database
from engine.models import Department, RoleDefinition
from tests.support import DEMO_CITY
from web.cli import cli, register_commands

register_commands()


@pytest.fixture
def run(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Invoke the CLI against a fresh, initialised SQLite file in ``tmp_path``."""
    url = f"sqlite:///{tmp_path / 'org.sqlite3'}"

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(cli, ["--database-url", url, "--instance", str(tmp_path / "instance"), *args],
                                  catch_exceptions=False)

    invoke.url = url  # type: ignore[attr-defined]
    assert invoke("init").exit_code == 0
    return invoke


def _counts(url: str) -> tuple[int, int]:
    db = Database(url)
    try:
        with db.transaction() as session:
            return (session.execute(select(func.count()).select_from(Department)).scalar_one(),
                    session.execute(select(func.count()).select_from(RoleDefinition)).scalar_one())
    finally:
        db.engine.dispose()


def test_check_prints_the_diff_and_changes_nothing(run) -> None:  # type: ignore[no-untyped-def]
    before = _counts(run.url)
    result = run("org", "sync", str(DEMO_CITY), "--check")
    assert result.exit_code == 0, result.output
    assert "+ unit HP 和平街道 (street, under SFQ)" in result.output
    assert "+ unit LHQ-CGW" in result.output
    assert "+ role supervisor 督办员" in result.output
    assert "would change:" in result.output
    assert _counts(run.url) == before
    again = run("org", "sync", str(DEMO_CITY), "--check")
    assert again.output == result.output  # nothing was written, so the same diff again


def test_a_real_sync_then_no_changes(run) -> None:  # type: ignore[no-untyped-def]
    empty = _counts(run.url)
    first = run("org", "sync", str(DEMO_CITY))
    assert first.exit_code == 0 and "changed:" in first.output and "+ unit DEMO-ZX" in first.output
    units, roles = _counts(run.url)
    assert units - empty[0] == first.output.count("+ unit ") - first.output.count("+ unit kind ") > 0
    second = run("org", "sync", str(DEMO_CITY))
    assert second.exit_code == 0
    assert second.output.strip() == "no changes"
    assert _counts(run.url) == (units, roles)


def test_show_prints_the_chain_and_children(run) -> None:  # type: ignore[no-untyped-def]
    assert run("org", "sync", str(DEMO_CITY)).exit_code == 0
    result = run("org", "show", "HP")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "示范市 › 示范区 › 和平街道"
    assert lines[1].startswith("HP 和平街道 — 街道")
    assert "  ├ HP-01 和平里社区 (社区)" in lines
    assert not any("XH" in line for line in lines)  # a sibling street is not a child
    district = run("org", "show", "LHQ").output
    assert "LHQ-CGW" in district and "HP " not in district
    missing = run("org", "show", "NOPE")
    assert missing.exit_code == 1 and "no unit NOPE" in missing.output


@pytest.mark.parametrize("text, located", [
    ("unit_kinds:\n  - {code: street, label: 街道}\nunits:\n  - {code: ZZ1, name: 甲, kind: street}\n"
     "  - {code: ZZ2, name: 乙, kind: street, parent: NOPE}\n",
     "organisation.yaml:5: ZZ2: unit ZZ2 names an unknown parent NOPE"),
    ("units: [\n  {code: ZZ1\n", "organisation.yaml:3: -: not valid YAML"),
])
def test_a_broken_file_gives_a_located_line_and_exit_1(run, tmp_path: Path, text: str, located: str
                                                        ) -> None:  # type: ignore[no-untyped-def]
    pack = tmp_path / "broken"
    pack.mkdir()
    (pack / "organisation.yaml").write_text(text, encoding="utf-8")
    before = _counts(run.url)
    result = run("org", "sync", str(pack))
    assert result.exit_code == 1
    assert located in result.output
    assert "Traceback" not in result.output
    assert _counts(run.url) == before
