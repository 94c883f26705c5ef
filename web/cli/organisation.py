"""``whistle org sync|show`` and ``whistle seed-demo``: the organisation from the packs' data files."""
from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from engine import organisation_files
from engine.models import Department, Membership, UnitKind, User
from engine.organisation_files import DEMO_FILE, ORGANISATION_FILE, SeedReport
from web.cli.state import CliState, domain_errors, transaction

DEMO_PASSWORD = "whistle-demo"


def pack_folders(paths: tuple[Path, ...]) -> list[Path]:
    """The folders holding organisation or demo files: the paths themselves, or their sub-folders (packs).

    Packs without diagrams (an organisation) come first, so practices may name their units.
    """
    found: list[Path] = []
    for path in paths:
        if (path / ORGANISATION_FILE).is_file() or (path / DEMO_FILE).is_file():
            found.append(path)
        elif path.is_dir():
            found += [p for p in sorted(path.iterdir())
                      if p.is_dir() and ((p / ORGANISATION_FILE).is_file() or (p / DEMO_FILE).is_file())]
    return sorted(dict.fromkeys(found), key=lambda p: (any(p.glob("*.bpmn")), str(p)))


@click.group()
def org() -> None:
    """The organisation: units, unit kinds, roles, relations and categories from the packs' data."""


@org.command("sync")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--check", is_flag=True, help="Print what would change and change nothing.")
@click.option("--prune", is_flag=True, help="Deactivate units, kinds and roles the data no longer names.")
@click.pass_obj
def org_sync(state: CliState, paths: tuple[Path, ...], check: bool, prune: bool) -> None:
    """Make the database's organisation match PATHS (default: every pack in the processes folder)."""
    folders = pack_folders(paths or (state.settings.processes_dir,))
    if not folders:
        raise click.ClickException(f"no {ORGANISATION_FILE} found in {', '.join(map(str, paths))}")
    with transaction(state) as session:
        report = organisation_files.sync(session, folders, prune=prune)
        for line in report.lines():
            click.echo(line)
        if report.missing and not prune:
            click.echo("(? = not in the data; kept as it is — --prune deactivates them)")
        if check:
            session.rollback()
    verb = "would change" if check else "changed"
    click.echo("no changes" if report.empty else
               f"{verb}: {len(report.added)} added, {len(report.changed)} changed, "
               f"{len(report.deactivated)} deactivated")


@org.command("show")
@click.argument("code")
@click.pass_obj
def org_show(state: CliState, code: str) -> None:
    """A unit with its chain of parents, its children and its seats."""
    with transaction(state) as session:
        unit = session.execute(select(Department).where(Department.code == code)).scalar_one_or_none()
        if unit is None:
            raise click.ClickException(f"no unit {code[:32]}")
        kinds = dict(session.execute(select(UnitKind.code, UnitKind.label)).all())
        chain = [int(p) for p in unit.path.strip("/").split("/") if p]
        names = dict(session.execute(select(Department.id, Department.name).where(Department.id.in_(chain))).all())
        click.echo(" › ".join(names.get(i, "?") for i in chain))
        state_text = "" if unit.active else " (deactivated)"
        click.echo(f"{unit.code} {unit.name} — {kinds.get(unit.kind, unit.kind)}{state_text}")
        for child in session.execute(select(Department).where(Department.parent_id == unit.id)
                                     .order_by(Department.code)).scalars():
            click.echo(f"  ├ {child.code} {child.name} ({kinds.get(child.kind, child.kind)})")
        for username, role in session.execute(select(User.username, Membership.role)
                                              .join(Membership, Membership.user_id == User.id)
                                              .where(Membership.department_id == unit.id).order_by(User.username)):
            click.echo(f"  · {username}: {role}")


def seed(state: CliState, paths: tuple[Path, ...], password: str) -> SeedReport:
    """Sync every pack's organisation and add its demo logins."""
    folders = pack_folders(paths or (state.settings.processes_dir,))
    with domain_errors(), transaction(state) as session:
        return organisation_files.seed_demo(session, folders, password=password, now=state.now())


@click.command("seed-demo")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--password", default=DEMO_PASSWORD, show_default=True, help="Password of every demo login.")
@click.pass_obj
def seed_demo(state: CliState, paths: tuple[Path, ...], password: str) -> None:
    """Load every pack's organisation and demo logins (default: the packs in the processes folder)."""
    report = seed(state, paths, password)
    click.echo(f"{len(report.sync.added)} organisation rows added, {len(report.sync.changed)} changed, "
               f"{report.users} logins added")


COMMANDS = [org, seed_demo]
