"""The ``whistle`` command: set up, deploy, validate, manage users, serve, run the demo."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from engine import accounts, definitions, schema
from engine.district import read_district, seed_district
from engine.errors import DefinitionInvalid, Problem, WhistleError
from engine.roles import Role
from engine.validation import validate_bundle
from web.services import Services, build_services, engine_context
from web.settings import Settings

DEMO_PASSWORD = "whistle-demo"
FEATURED_LOGINS = ("HP.officer", "HP.leader", "CGW.dispatcher", "CGW.staff", "CGW.head", "ZJW.staff", "SWJ.staff",
                   "DCS.supervisor", "QLD.leader", "designer", "admin")


class _Obj:
    """Settings now, services on first use (``validate`` never needs a database)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._services: Services | None = None

    @property
    def services(self) -> Services:
        if self._services is None:
            self._services = build_services(self.settings)
        return self._services


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--database-url", envvar="WHISTLE_DATABASE_URL", metavar="URL",
              help="SQLAlchemy URL; default: SQLite file in the instance folder. "
                   "PostgreSQL: postgresql://user@host/db (env WHISTLE_DATABASE_URL).")
@click.option("--instance", "instance_path", envvar="WHISTLE_INSTANCE_PATH", type=click.Path(path_type=Path),
              metavar="DIR", help="Instance folder for the SQLite file and secrets (default ./instance).")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None, instance_path: Path | None) -> None:
    """whistle: BPMN workflows for 街乡吹哨、部门报到 and cross-department case handling."""
    ctx.obj = _Obj(Settings.from_env(database_url=database_url, instance_path=instance_path))


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="whistle")


@contextmanager
def _errors() -> Iterator[None]:
    """Turn domain and connection errors into one clear line and exit status 1."""
    try:
        yield
    except WhistleError as error:
        raise click.ClickException(error.message) from None
    except OperationalError as error:
        raise click.ClickException(f"cannot use the database: {error.orig}") from None


@contextmanager
def _transaction(obj: _Obj) -> Iterator[Session]:
    db = obj.services.db
    with _errors():
        current = schema.current_revision(db)
        if current != schema.head_revision(db):
            raise click.ClickException("the database is not initialised or is out of date: run 'whistle init' first")
        with db.transaction() as session:
            yield session


def _now(obj: _Obj) -> Any:
    return obj.services.clock.now()


@cli.command()
@click.pass_obj
def init(obj: _Obj) -> None:
    """Create or migrate the database schema."""
    with _errors():
        schema.upgrade(obj.services.db)
    click.echo(f"database ready at revision {schema.current_revision(obj.services.db)}")


def _bpmn_files(paths: tuple[Path, ...]) -> tuple[list[Path], list[Problem]]:
    files: list[Path] = []
    missing: list[Problem] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.rglob("*.bpmn"))
            if not found:
                missing.append(Problem(str(path), None, None, "no .bpmn files in this folder"))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            missing.append(Problem(str(path), None, None, "no such file or folder"))
    return files, missing


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_obj
def validate(obj: _Obj, paths: tuple[Path, ...]) -> None:
    """Check BPMN files (and their forms/) without deploying; print file:line: element: message."""
    files, problems = _bpmn_files(paths)
    ctx = engine_context(obj.settings)
    for path in files:
        try:
            checked = validate_bundle(definitions.bundle_from_path(path), ctx.evaluator,
                                      allow_script_tasks=ctx.allow_script_tasks)
        except DefinitionInvalid as error:
            problems.extend(error.problems)
        except OSError as error:
            problems.append(Problem(str(path), None, None, f"cannot read: {error.strerror}"))
        else:
            click.echo(f"{path}: ok (process {checked.key})")
    for problem in problems:
        click.echo(problem.located())
    if problems:
        click.echo(f"{len(problems)} problem(s)", err=True)
        sys.exit(1)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_obj
def deploy(obj: _Obj, paths: tuple[Path, ...]) -> None:
    """Deploy BPMN files or folders: unchanged files are skipped, changed ones get a new version.

    Every file is checked first; if any has a problem, nothing is deployed.
    """
    files, problems = _bpmn_files(paths)
    bundles = [(path, definitions.bundle_from_path(path)) for path in files]
    ctx = obj.services.ctx
    for _path, bundle in bundles:
        try:
            validate_bundle(bundle, ctx.evaluator, allow_script_tasks=ctx.allow_script_tasks)
        except DefinitionInvalid as error:
            problems.extend(error.problems)
    if problems:
        for problem in problems:
            click.echo(problem.located())
        click.echo(f"{len(problems)} problem(s); nothing was deployed", err=True)
        sys.exit(1)
    with _transaction(obj) as session:
        results = [(path, definitions.deploy(session, ctx, bundle, now=_now(obj))) for path, bundle in bundles]
    for path, result in results:
        state = "deployed" if result.created else "unchanged"
        click.echo(f"{state}: {result.definition.key} v{result.definition.version} ({path})")


@cli.group()
def user() -> None:
    """Manage users and API tokens."""


def _seat(value: str) -> tuple[str, Role]:
    code, _, role = value.partition(":")
    try:
        return code, Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise click.BadParameter(f"'{value}': write DEPARTMENT:ROLE with a role among {roles}") from None


@user.command("add")
@click.argument("username")
@click.option("--name", "display_name", default="", help="Display name (default: the username).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="At least 8 characters.")
@click.option("--seat", "seats", multiple=True, metavar="DEPT:ROLE", help="e.g. HP:street_officer (repeatable).")
@click.pass_obj
def user_add(obj: _Obj, username: str, display_name: str, password: str, seats: tuple[str, ...]) -> None:
    """Add a user with departments and roles."""
    parsed = [_seat(s) for s in seats]
    with _transaction(obj) as session:
        accounts.create_user(session, username, display_name, password=password, now=_now(obj), seats=parsed)
    click.echo(f"user {username} added")


@user.command("token")
@click.argument("usernames", nargs=-1, required=True)
@click.option("--label", default="cli", help="What the token is for.")
@click.pass_obj
def user_token(obj: _Obj, usernames: tuple[str, ...], label: str) -> None:
    """Print a new API token for USERNAME (shown once; only its hash is stored).

    With several usernames, print one "USERNAME TOKEN" line each.
    """
    with _transaction(obj) as session:
        tokens = [(name, accounts.issue_token(session, accounts.user_by_name(session, name), label=label,
                                              now=_now(obj))) for name in usernames]
    for name, token in tokens:
        click.echo(token if len(tokens) == 1 else f"{name} {token}")


@cli.command("seed-demo")
@click.option("--file", "district_file", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="District YAML (default: processes/district.yaml).")
@click.option("--password", default=DEMO_PASSWORD, show_default=True, help="Password of every demo login.")
@click.pass_obj
def seed_demo(obj: _Obj, district_file: Path | None, password: str) -> None:
    """Load the demo district: streets, departments, categories and one login per role."""
    report = _seed(obj, district_file, password)
    click.echo(f"{report.departments} departments, {report.categories} categories, {report.users} logins added")


def _seed(obj: _Obj, district_file: Path | None, password: str) -> Any:
    path = district_file or obj.settings.processes_dir / "district.yaml"
    with _errors():
        district = read_district(path)
    with _transaction(obj) as session:
        return seed_district(session, district, now=_now(obj), demo_password=password)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--fd", type=int, default=None, help="Listen on an inherited socket (socket activation) instead.")
@click.option("--workers", default=2, show_default=True, type=int, help="gunicorn worker processes.")
@click.option("--threads", default=4, show_default=True, type=int, help="Threads per worker.")
@click.pass_obj
def serve(obj: _Obj, host: str, port: int, fd: int | None, workers: int, threads: int) -> None:
    """Serve the web app and API with gunicorn."""
    from web.app import create_app
    from web.serve import serve as run

    bind = f"fd://{fd}" if fd is not None else f"{host}:{port}"
    run(create_app(services=obj.services), bind=bind, workers=workers, threads=threads)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.pass_context
def demo(ctx: click.Context, host: str, port: int) -> None:
    """Initialise, deploy processes/, seed the demo district and serve it (SQLite by default)."""
    obj: _Obj = ctx.obj
    ctx.invoke(init)
    ctx.invoke(deploy, paths=(obj.settings.processes_dir,))
    report = _seed(obj, None, DEMO_PASSWORD)
    click.echo("")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for username, display in report.logins:
        if username in FEATURED_LOGINS:
            click.echo(f"  {username:<16} {display}")
    click.echo("  (every street, department and unit has the same logins: CODE.officer, CODE.staff, ...)")
    click.echo(f"API tokens: whistle user token USERNAME   ·   API: http://{host}:{port}/api/v1/openapi.json")
    click.echo("")
    ctx.invoke(serve, host=host, port=port, workers=1, threads=8)
