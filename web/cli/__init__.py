"""The ``whistle`` command: set up, deploy, validate, manage users, serve, sweep, run the demo."""
from __future__ import annotations

from pathlib import Path

import click

from web.cli.state import CliState
from web.settings import Settings, SettingsError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--database-url", envvar="WHISTLE_DATABASE_URL", metavar="URL",
              help="SQLAlchemy URL; default: SQLite file in the instance folder. "
                   "PostgreSQL: postgresql://user@host/db (env WHISTLE_DATABASE_URL).")
@click.option("--instance", "instance_path", envvar="WHISTLE_INSTANCE_PATH", type=click.Path(path_type=Path),
              metavar="DIR", help="Instance folder for the SQLite file and secrets (default ./instance).")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None, instance_path: Path | None) -> None:
    """whistle: BPMN workflows for 街乡吹哨、部门报到 and cross-department case handling."""
    try:
        settings = Settings.from_env(database_url=database_url, instance_path=instance_path)
    except SettingsError as error:  # one line naming the variable, never a traceback
        raise click.ClickException(str(error)) from None
    ctx.obj = CliState(settings)


def register_commands() -> None:
    """Attach every subcommand to the group (idempotent)."""
    from web.cli import accounts, bundles, calendar, learning, organisation, repair, running

    for command in (*bundles.COMMANDS, *accounts.COMMANDS, *organisation.COMMANDS, *running.COMMANDS,
                    *repair.COMMANDS, *learning.COMMANDS, calendar.calendar):
        cli.add_command(command)


def main() -> None:
    """Console-script entry point."""
    register_commands()
    cli(prog_name="whistle")
