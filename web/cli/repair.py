"""``whistle case suspend|resume|retry|move|show`` and ``whistle migrate``: case repair from the shell."""
from __future__ import annotations

import json
from typing import Any

import click

from engine import accounts, case_migration, repair
from engine.actors import Actor, actor_of
from engine.case_migration import MigrationReport
from web.cli.state import CliState, transaction

_AS = click.option("--as", "username", required=True, metavar="USERNAME",
                   help="The administrator acting (named in the case history).")
_REASON = click.option("--reason", required=True, help="Why (2-500 characters); kept in the case history.")


def _actor(state: CliState, username: str) -> Actor:
    with transaction(state) as session:
        return actor_of(accounts.user_by_name(session, username))


@click.group()
def case() -> None:
    """Repair one case: show where it stands, suspend, resume, retry a failed step, move a token."""


@case.command("show")
@click.argument("instance_id", type=click.IntRange(1, 2**31 - 1))
@_AS
@click.pass_obj
def show(state: CliState, instance_id: int, username: str) -> None:
    """Where the case stands: one line per token (id, process, element, state), then the steps it may move to."""
    actor = _actor(state, username)
    with transaction(state) as session:
        stands = repair.where_it_stands(session, state.services.ctx, actor, instance_id)
        click.echo(f"case {instance_id}: {stands.instance.status.value}")
        for token in stands.tokens:
            where = " ".join(f"{k}={v}" for k, v in stands.contexts.get(token.id, {}).items())
            click.echo(f"  {token.id}  {token.process_id}:{token.element_id} ({token.name})  {token.state}  {where}")
        for process, targets in stands.targets.items():
            click.echo(f"  steps of {process}: " + ", ".join(element for element, _ in targets))


@case.command("suspend")
@click.argument("instance_id", type=click.IntRange(1, 2**31 - 1))
@_REASON
@_AS
@click.pass_obj
def suspend(state: CliState, instance_id: int, reason: str, username: str) -> None:
    """Hold a running case: its tasks, BPMN timers and deadline rungs wait until it is resumed."""
    actor = _actor(state, username)
    with transaction(state) as session:
        repair.suspend(session, state.services.ctx, actor, instance_id, reason, now=state.now())
    click.echo(f"case {instance_id} suspended")


@case.command("resume")
@click.argument("instance_id", type=click.IntRange(1, 2**31 - 1))
@_REASON
@_AS
@click.pass_obj
def resume(state: CliState, instance_id: int, reason: str, username: str) -> None:
    """Let a suspended case run on; what came due meanwhile fires at the next sweep."""
    actor = _actor(state, username)
    with transaction(state) as session:
        repair.resume(session, state.services.ctx, actor, instance_id, reason, now=state.now())
    click.echo(f"case {instance_id} resumed")


def _variables(pairs: tuple[str, ...]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--set")
        try:
            found[name] = json.loads(raw)
        except ValueError:
            found[name] = raw  # a bare word is a string: --set priority=high
    return found


@case.command("retry")
@click.argument("instance_id", type=click.IntRange(1, 2**31 - 1))
@click.option("--set", "pairs", multiple=True, metavar="NAME=JSON",
              help="Set a case variable first (JSON value, or a bare word as text); repeatable.")
@_REASON
@_AS
@click.pass_obj
def retry(state: CliState, instance_id: int, pairs: tuple[str, ...], reason: str, username: str) -> None:
    """Run the engine on the case again (fire due timers, run on); resolves its incidents if it moves."""
    actor = _actor(state, username)
    values = _variables(pairs)
    with transaction(state) as session:
        instance = repair.retry(session, state.services.ctx, actor, instance_id, reason, now=state.now(),
                                variables=values)
        click.echo(f"case {instance_id} retried: {instance.status.value}")


@case.command("move")
@click.argument("instance_id", type=click.IntRange(1, 2**31 - 1))
@click.option("--token", required=True, help="Where the case stands (an id from 'whistle case show').")
@click.option("--to", "element", required=True, help="The element id to start instead.")
@_REASON
@_AS
@click.pass_obj
def move(state: CliState, instance_id: int, token: str, element: str, reason: str, username: str) -> None:
    """Cancel the work at a token and start another element of the same process."""
    actor = _actor(state, username)
    with transaction(state) as session:
        repair.move(session, state.services.ctx, actor, instance_id, token, element, reason, now=state.now())
    click.echo(f"case {instance_id}: token moved to {element}")


@click.command()
@click.argument("key")
@click.option("--from", "from_version", required=True, type=click.IntRange(1, 1_000_000),
              help="The version the cases run on.")
@click.option("--to", "to_version", required=True, type=click.IntRange(1, 1_000_000), help="The version to move to.")
@click.option("--dry-run", is_flag=True, help="Only list, per case, what maps and what does not.")
@click.option("--reason", default=None, help="Why (required unless --dry-run); kept in each case's history.")
@_AS
@click.pass_obj
def migrate(state: CliState, key: str, from_version: int, to_version: int, dry_run: bool, reason: str | None,
            username: str) -> None:
    """Migrate the running cases of KEY from one version to another; the ones that do not map stay."""
    actor = _actor(state, username)
    with transaction(state) as session:
        if dry_run:
            report = case_migration.dry_run(session, state.services.ctx, actor, key, from_version, to_version,
                                            now=state.now())
        else:
            if reason is None:
                raise click.UsageError("--reason is required to migrate (or use --dry-run)")
            report = case_migration.migrate(session, state.services.ctx, actor, key, from_version, to_version,
                                            reason, now=state.now())
        _print(report)


def _print(report: MigrationReport) -> None:
    for plan in report.plans:
        if report.applied:
            verdict = "migrated" if plan.instance_id in report.migrated else "stays"
        else:
            verdict = "maps" if plan.possible else "does not map"
        click.echo(f"case {plan.instance_id}: {verdict}")
        for element in plan.elements:
            mark = "ok " if element.maps else "NO "
            done = " (a step already done)" if element.done else ""
            click.echo(f"  {mark}{element.process_id}:{element.element_id}{done}")
        for process in plan.missing_processes:
            click.echo(f"  NO called process {process} is missing")
        if plan.problem:
            click.echo(f"  NO {plan.problem}")
    moved = len(report.migrated) if report.applied else sum(p.possible for p in report.plans)
    verb = "migrated" if report.applied else "would migrate"
    click.echo(f"{report.key} v{report.from_version} -> v{report.to_version}: {verb} {moved} of "
               f"{len(report.plans)} case(s)" + (" (more wait: run again)" if report.more else ""))


COMMANDS = (case, migrate)
