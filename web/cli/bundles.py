"""``whistle validate`` and ``whistle deploy``: packs, BPMN files with their forms, SLA policies, calendars."""
from __future__ import annotations

import sys
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from engine import definitions, organisation_files, packs
from engine.errors import DefinitionInvalid, Problem, by_place
from engine.organisation_view import OrganisationView
from engine.packs import Pack
from engine.validation import Bundle, validate_bundle
from escalation.calendars import merge_calendars
from escalation.policy_store import check_policy_file, deploy_policy
from web.cli.state import CliState, transaction
from web.services import engine_context


@dataclass
class Deployables:
    """What a list of paths holds: packs, BPMN files, policy files, calendar folders, and paths that are neither."""

    bpmn: list[Path] = field(default_factory=list)
    policies: list[Path] = field(default_factory=list)
    calendars: list[Path] = field(default_factory=list)
    packs: list[Pack] = field(default_factory=list)
    organisation: list[Path] = field(default_factory=list)  # pack folders with organisation.yaml, in order
    forms: dict[Path, Path] = field(default_factory=dict)  # BPMN file of a pack -> the pack's forms folder
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    clocks: dict[str, frozenset[str]] = field(default_factory=dict)  # process key -> clocks of its policy file

    def lend_organisation(self, folder: Path) -> None:
        """Check and deploy with the organisation of the pack in ``folder``, once however often it is named."""
        if folder.resolve() not in {f.resolve() for f in self.organisation}:
            self.organisation.append(folder)

    def add_pack(self, pack: Pack) -> None:
        """A pack's BPMN files (forms from its forms/ folder), its policies and its calendars."""
        self.packs.append(pack)
        if pack.organisation is not None:
            self.lend_organisation(pack.folder)
        self.bpmn += pack.bpmn
        self.forms.update({path: pack.forms or pack.folder / packs.FORMS for path in pack.bpmn})
        self.policies += pack.policies
        if pack.calendars is not None:
            self.calendars.append(pack.calendars)


def collect(paths: tuple[Path, ...]) -> Deployables:
    """Files to check or deploy: a pack, a processes folder (every pack, in requirement order), files.

    Any other folder contributes its *.bpmn, policies/*.yaml and calendars/.
    """
    found = Deployables()
    for path in paths:
        if path.is_dir() and packs.is_pack(path):
            pack, problems = packs.read_pack(path)
            found.problems += problems
            if pack is not None:
                required, problems = packs.with_requirements(pack)
                found.problems += problems
                # The packs it requires lend their organisation (units, roles) to its check and deploy.
                for lender in required:
                    if lender.organisation is not None:
                        found.lend_organisation(lender.folder)
                found.add_pack(pack)
        elif packs.holds_packs(path):
            ordered, problems = packs.find_packs(path)
            found.problems += problems + packs.strays(path)
            for pack in ordered:
                found.add_pack(pack)
        elif path.is_dir():
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


def _policy_files(found: Deployables) -> list[Path]:
    """The policies named on the command line, then those beside each BPMN file (``policies/*.yaml``)."""
    beside = [p for folder in dict.fromkeys(b.parent / "policies" for b in found.bpmn) if folder.is_dir()
              for p in sorted(folder.glob("*.yaml"))]
    return list(dict.fromkeys(found.policies + beside))


def clock_lookup(found: Deployables, deployed: Callable[[str], Collection[str] | None] | None = None
                 ) -> Callable[[str], Collection[str] | None]:
    """Clocks of a process's policy: from the files at hand, else deployed ones (None: unknown, not checked)."""

    def clocks(key: str) -> Collection[str] | None:
        if key in found.clocks:
            return found.clocks[key]
        return None if deployed is None else deployed(key)  # `validate` reads no database

    return clocks


def deployed_clocks(state: CliState, session: Session) -> Callable[[str], Collection[str] | None]:
    """Clocks of the newest deployed policy of a process (None when it has none)."""

    def clocks(key: str) -> Collection[str] | None:
        found = state.services.escalation.policy_for(session, key)
        return None if found is None else frozenset(found[1].clocks)

    return clocks


def organisation_view(state: CliState, found: Deployables) -> OrganisationView:
    """What diagrams are checked against: the database's organisation (when there is one) with the packs' files."""
    files = organisation_files.read(organisation_folders(state, found))
    url = make_url(state.settings.resolved_database_url)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).exists()):
        return OrganisationView.of(files)  # no database yet, and checking must not create one
    try:
        with state.services.db.transaction(write=False) as session:
            stored = OrganisationView.read(session)
    except (OperationalError, ProgrammingError):  # no database yet: the files alone
        stored = OrganisationView()
    return stored.merged(OrganisationView.of(files))


def organisation_folders(state: CliState, found: Deployables) -> list[Path]:
    """The packs whose organisation the files are checked and deployed with: those named, else the installation's."""
    if found.organisation:
        return found.organisation
    installed, _problems = packs.find_packs(state.settings.processes_dir) if packs.holds_packs(
        state.settings.processes_dir) else ([], [])
    return [p.folder for p in installed if p.organisation is not None]


def _bundle(found: Deployables, path: Path, clocks: Callable[[str], Collection[str] | None]) -> Bundle:
    bundle = definitions.bundle_from_path(path, found.forms.get(path))
    bundle.policy_clocks = clocks
    return bundle


def check(state: CliState, found: Deployables, *, say_ok: bool) -> list[Problem]:
    """Every problem of every file (warnings go to ``found.warnings``); with ``say_ok``, a line per good file."""
    problems = list(found.problems)
    for path in _policy_files(found):
        try:
            policy = check_policy_file(path)
        except (DefinitionInvalid, OSError, UnicodeDecodeError):
            continue  # reported below if it was named; a broken neighbour only leaves its clocks unchecked
        found.clocks.setdefault(policy.process, frozenset(policy.clocks))
    if say_ok:
        located = {problem.file for problem in problems}
        for pack in (p for p in found.packs if str(p.file) not in located):
            required = f", requires {', '.join(pack.requires)}" if pack.requires else ""
            click.echo(f"{pack.file}: ok (pack {pack.code}{required})")
    folders = list(dict.fromkeys(found.calendars))  # a pack named twice is still one pack
    if folders:  # the packs' calendars are one set, as the server reads them
        calendars, calendar_problems = merge_calendars(folders)
        problems += calendar_problems
        if say_ok and not calendar_problems:
            click.echo(f"{', '.join(map(str, folders))}: ok (default calendar {calendars.default.name}, "
                       f"{len(calendars.by_department)} department(s) with their own)")
    try:
        ctx = engine_context(state.settings)
    except DefinitionInvalid as error:  # the server's own calendars are broken
        return problems + error.problems
    try:
        organisation = organisation_view(state, found)
    except DefinitionInvalid as error:  # an organisation file that does not read
        return problems + error.problems
    for path in found.bpmn:
        try:
            bundle = _bundle(found, path, clock_lookup(found))
            bundle.organisation = organisation
            checked = validate_bundle(bundle, ctx.evaluator, allow_script_tasks=ctx.allow_script_tasks)
        except DefinitionInvalid as error:
            problems += error.problems
            found.warnings += error.warnings
        except OSError as error:
            problems.append(Problem(str(path), None, None, "cannot read: {reason}", {"reason": error.strerror}))
        else:
            found.warnings += checked.warnings
            if say_ok:
                warned = f", {len(checked.warnings)} warning(s)" if checked.warnings else ""
                click.echo(f"{path}: ok (process {checked.key}{warned})")
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


def _report(problems: list[Problem], suffix: str, warnings: list[Problem] | None = None) -> None:
    for problem in by_place(problems + list(warnings or [])):
        click.echo(problem.located())
    counted = f"{len(problems)} problem(s)" + (f" and {len(warnings)} warning(s)" if warnings else "")
    click.echo(counted + suffix, err=True)
    sys.exit(1)


def _warn(warnings: list[Problem]) -> None:
    """Warnings do not stop anything: print them, located, and carry on."""
    for warning in by_place(warnings):
        click.echo(warning.located())
    if warnings:
        click.echo(f"{len(warnings)} warning(s)", err=True)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_obj
def validate(state: CliState, paths: tuple[Path, ...]) -> None:
    """Check packs, BPMN files (with forms/), policies and calendars; print file:line: element: message.

    PATHS may be a pack (processes/whistle), a processes folder (every pack in it), files or other folders.

    Warnings are printed as ``file:line: element: warning: message``; only errors make the exit status 1.
    """
    found = collect(paths)
    problems = check(state, found, say_ok=True)
    if problems:
        _report(problems, "", found.warnings)
    _warn(found.warnings)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_obj
def deploy(state: CliState, paths: tuple[Path, ...]) -> None:
    """Deploy packs, BPMN files, policies or folders of both; unchanged files are skipped.

    A processes folder deploys every pack in it, each after the packs it requires. Every file is
    checked first; if any has an error, nothing is deployed (warnings are printed and deploy).
    Calendars are read by the server from every pack's calendars/ folder when it starts.
    """
    found = collect(paths)
    problems = check(state, found, say_ok=False)
    if problems:
        _report(problems, "; nothing was deployed", found.warnings)
    ctx = state.services.ctx
    with transaction(state) as session:
        folders = organisation_folders(state, found)
        synced = organisation_files.sync(session, folders) if folders else None
        clocks = clock_lookup(found, deployed_clocks(state, session))
        results = [(path, definitions.deploy(session, ctx, _bundle(found, path, clocks), now=state.now()))
                   for path in found.bpmn]
        policies = [(path, deploy_policy(session, path, now=state.now())) for path in found.policies]
    if synced is not None and not synced.empty:
        click.echo(f"organisation: {len(synced.added)} added, {len(synced.changed)} changed "
                   "(whistle org sync --check shows each)")
    for path, result in results:
        word = "deployed" if result.created else "unchanged"
        click.echo(f"{word}: {result.definition.key} v{result.definition.version} ({path})")
    _warn([w for _path, result in results for w in result.warnings])
    for path, stored in policies:
        word = "deployed" if stored.created else "unchanged"
        click.echo(f"{word}: policy {stored.policy.process_key} v{stored.policy.version} ({path})")
    for pack in found.packs:
        if not pack.bpmn and not pack.policies:
            click.echo(f"pack {pack.code}: no processes or policies to deploy ({pack.folder})")


COMMANDS = [validate, deploy]
