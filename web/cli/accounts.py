"""``whistle user add|token|revoke|password|deactivate|activate``.

The commands call engine.user_admin as the console operator, like the admin pages and the
API do as an admin: the same checks (seats fit their unit, the last admin seat stays) and
the same account history.
"""
from __future__ import annotations

import click

from engine import user_admin
from engine.user_admin import CONSOLE
from web.cli.state import CliState, transaction
from web.formatting import local_time

DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS = user_admin.DEFAULT_TOKEN_DAYS, user_admin.MAX_TOKEN_DAYS


@click.group()
def user() -> None:
    """Manage users, their passwords, sign-in sessions and API tokens."""


def _seat(value: str) -> tuple[str, str]:
    """``UNIT:ROLE`` split in two; whether the role exists and fits the unit is the engine's to say."""
    code, _, role = value.partition(":")
    if not code or not role:
        raise click.BadParameter(f"'{value}': write UNIT:ROLE (a unit code and a role code, e.g. HP:street_officer)")
    return code, role


def _seats(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> list[tuple[str, str]]:
    # A callback, so a malformed seat is refused before the password is asked for.
    return [_seat(v) for v in values]


@user.command("add")
@click.argument("username")
@click.option("--name", "display_name", default="", help="Display name (default: the username).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="At least 8 characters.")
@click.option("--seat", "seats", multiple=True, metavar="UNIT:ROLE", callback=_seats,
              help="e.g. HP:street_officer (repeatable).")
@click.pass_obj
def user_add(state: CliState, username: str, display_name: str, password: str,
             seats: list[tuple[str, str]]) -> None:
    """Add a user with seats (a role in a unit)."""
    with transaction(state) as session:
        user_admin.add_user(session, CONSOLE, username, display_name, password=password, now=state.now(),
                            seats=seats)
    click.echo(f"user {username} added")


@user.command("token")
@click.argument("usernames", nargs=-1, required=True)
@click.option("--label", default="cli", help="What the token is for.")
@click.option("--days", type=click.IntRange(1, MAX_TOKEN_DAYS), default=DEFAULT_TOKEN_DAYS, show_default=True,
              help="How many days the token stays valid.")
@click.pass_obj
def user_token(state: CliState, usernames: tuple[str, ...], label: str, days: int) -> None:
    """Print a new API token for USERNAME (shown once; only its hash is stored).

    With several usernames, print one "USERNAME TOKEN" line each. The expiry goes to
    stderr, so TOKEN=$(whistle user token NAME) captures the token alone.
    """
    with transaction(state) as session:
        at = state.now()
        tokens = [(name, user_admin.issue_token(session, CONSOLE, name, label=label, days=days, now=at))
                  for name in usernames]
    for name, issued in tokens:
        click.echo(issued.token if len(tokens) == 1 else f"{name} {issued.token}")
    click.echo(f"valid until {local_time(tokens[0][1].expires_at)} (Beijing time); whistle user revoke withdraws it "
               "sooner",
               err=True)


@user.command("revoke")
@click.argument("username")
@click.pass_obj
def user_revoke(state: CliState, username: str) -> None:
    """Withdraw every API token of USERNAME and sign them out of every browser.

    For a leaked token or a copied cookie; the password stays as it is (see
    "whistle user password" and "whistle user deactivate").
    """
    with transaction(state) as session:
        tokens, sessions = user_admin.revoke_access(session, CONSOLE, username, now=state.now())
    click.echo(f"{tokens} token(s) of {username} withdrawn, {sessions} session(s) ended")


@user.command("password")
@click.argument("username")
@click.option("--password", prompt="New password", hide_input=True, confirmation_prompt=True,
              help="At least 8 characters (asked for when not given).")
@click.pass_obj
def user_password(state: CliState, username: str, password: str) -> None:
    """Set a new password for USERNAME and sign them out of every browser (API tokens stay)."""
    with transaction(state) as session:
        _, ended = user_admin.reset_password(session, CONSOLE, username, password=password, now=state.now())
    click.echo(f"password of {username} changed, {ended} session(s) ended")


@user.command("deactivate")
@click.argument("username")
@click.pass_obj
def user_deactivate(state: CliState, username: str) -> None:
    """Disable USERNAME: no sign-in, sessions ended, API tokens refused (e.g. when the person left)."""
    with transaction(state) as session:
        ended = user_admin.set_active(session, CONSOLE, username, False, now=state.now())
    click.echo(f"{username} deactivated, {ended} session(s) ended; API tokens are refused while deactivated")


@user.command("activate")
@click.argument("username")
@click.pass_obj
def user_activate(state: CliState, username: str) -> None:
    """Enable USERNAME again after "whistle user deactivate"."""
    with transaction(state) as session:
        user_admin.set_active(session, CONSOLE, username, True, now=state.now())
    click.echo(f"{username} activated")


COMMANDS = [user]
