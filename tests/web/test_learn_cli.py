"""The worker trains the learned dispatch models with its sweep, ``whistle learn`` trains and lists them now,
and WHISTLE_LEARNING=off leaves the decision tables alone."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from engine.database import Database
from engine.models import LearnedModel
from tests.support import PROCESSES
from web.cli import cli, register_commands

register_commands()
pytest.importorskip("sklearn")


class Cli:
    """The ``whistle`` command on a fresh SQLite file."""

    def __init__(self, folder: Path) -> None:
        self.url = f"sqlite:///{folder / 'learn.sqlite3'}"
        self.instance = folder / "instance"

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(cli, ["--database-url", self.url, "--instance", str(self.instance), *args],
                                  env=env, catch_exceptions=False)

    def models(self) -> list[tuple[str, str, int]]:
        with Database(self.url).transaction(write=False) as session:
            return [(m.process_key, m.element_id, m.decisions) for m in session.execute(select(LearnedModel)).scalars()]


def test_the_sweep_trains_and_learn_lists_the_models(tmp_path: Path) -> None:
    run = Cli(tmp_path)
    assert run("init").exit_code == 0
    assert "no business rule task with learn_* properties is deployed" in run("learn").output
    assert run("seed-demo").exit_code == 0 and run("deploy", str(PROCESSES)).exit_code == 0
    assert run("sweep", env={"WHISTLE_LEARNING": "off"}).exit_code == 0
    assert run.models() == []  # learning off: the worker trains nothing
    assert run("sweep").exit_code == 0
    assert run.models() == [("ywtb", "Rule_suggest", 0)]  # a cold start from the category catalogue
    listed = run("learn", "--rebuild")
    assert listed.exit_code == 0, listed.output
    assert "trained ywtb/Rule_suggest: 0 new decision(s) (rebuilt)" in listed.output
    # the cold start knows the lead departments of the catalogue's 20 categories: 12 of them
    assert "ywtb/Rule_suggest: 0 decision(s) learned, 12 value(s) known" in listed.output
