"""``whistle validate`` and ``whistle deploy``: BPMN files with their forms, SLA policies, calendars."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import click

from engine import definitions
from engine.errors import DefinitionInvalid, Problem
from engine.validation import validate_bundle
from escalation.calendars import load_calendars
from escalation.policy_store import check_policy_file, deploy_policy
from web.cli.state import CliState, transaction
from web.services import engine_context


@dataclass
class Deployables:
    """What a list of paths holds: BPMN files, policy files, calendar folders, and paths that are neither."""

    bpmn: list[Path] = field(default_factory=list)
    policies: list[Path] = field(default_factory=list)
    calendars: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def collect(paths: tuple[Path, ...]) -> Deployables:
    """Files to check or deploy: folders contribute *.bpmn, policies/*.yaml and calendars/."""
    found = Deployables()
    for path in paths:
        if path.is_dir():
            bpmn = sorted(path.rglob("*.bpmn"))
            policies = sorted((path / "policies").glob("*.yaml")) if (path / "policies").is_dir() else []
            if (path / "calendars").is_dir():
                found.calendars.append(path / "calendars")
            if not bpmn and not policies:
                found.problems.append(Problem(str(path), None, None, "no .bpmn files in this folder"))
            found.bpmn += bpmn
            found.policies += policies
        elif path.is_file() and path.suffix == ".bpmn":
            found.bpmn.append(path)
        elif path.is_file() and path.suffix in (".yaml", ".yml"):
            found.policies.append(path)
        elif path.is_file():
            found.problems.append(Problem(str(path), None, None, "not a .bpmn file or a policy .yaml file"))
        else:
            found.problems.append(Problem(str(path), None, None, "no such file or folder"))
    return found


def check(state: CliState, found: Deployables, *, say_ok: bool) -> list[Problem]:
    """Every problem of every file; with ``say_ok``, print a line per good file."""
    problems = list(found.problems)
    for folder in found.calendars:
        calendars, calendar_problems = load_calendars(folder)
        problems += calendar_problems
        if say_ok and not calendar_problems:
            click.echo(f"{folder}: ok (default calendar {calendars.default.name}, "
                       f"{len(calendars.by_department)} department(s) with their own)")
    try:
        ctx = engine_context(state.settings)
    except DefinitionInvalid as error:  # the server's own calendars are broken
        return problems + error.problems
    for path in found.bpmn:
        try:
            checked = validate_bundle(definitions.bundle_from_path(path), ctx.evaluator,
                                      allow_script_tasks=ctx.allow_script_tasks)
        except DefinitionInvalid as error:
            problems += error.problems
        except OSError as error:
            problems.append(Problem(str(path), None, None, "cannot read: {reason}", {"reason": error.strerror}))
        else:
            if say_ok:
                click.echo(f"{path}: ok (process {checked.key})")
    for path in found.policies:
        try:
            policy = check_policy_file(path)
        except DefinitionInvalid as error:
            problems += error.problems
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Problem(str(path), None, None, "cannot read: {reason}", {"reason": str(error)}))
        else:
            if say_ok:
                click.echo(f"{path}: ok (policy for {policy.process})")
    return problems


def _report(problems: list[Problem], suffix: str) -> None:
    for problem in problems:
        click.echo(problem.located())
    click.echo(f"{len(problems)} problem(s){suffix}", err=True)
    sys.exit(1)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_obj
def validate(state: CliState, paths: tuple[Path, ...]) -> None:
    """Check BPMN files (with forms/), policies and calendars; print file:line: element: message."""
    problems = check(state, collect(paths), say_ok=True)
    if problems:
        _report(problems, "")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_obj
def deploy(state: CliState, paths: tuple[Path, ...]) -> None:
    """Deploy BPMN files, policies or folders of both; unchanged files are skipped.

    Every file is checked first; if any has a problem, nothing is deployed. Calendars are
    read by the server from its processes folder when it starts.
    """
    found = collect(paths)
    problems = check(state, found, say_ok=False)
    if problems:
        _report(problems, "; nothing was deployed")
    ctx = state.services.ctx
    with transaction(state) as session:
        results = [(path, definitions.deploy(session, ctx, definitions.bundle_from_path(path), now=state.now()))
                   for path in found.bpmn]
        policies = [(path, deploy_policy(session, path, now=state.now())) for path in found.policies]
    for path, result in results:
        word = "deployed" if result.created else "unchanged"
        click.echo(f"{word}: {result.definition.key} v{result.definition.version} ({path})")
    for path, stored in policies:
        word = "deployed" if stored.created else "unchanged"
        click.echo(f"{word}: policy {stored.policy.process_key} v{stored.policy.version} ({path})")


COMMANDS = [validate, deploy]
