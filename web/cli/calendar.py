"""``whistle calendar due``: when is something due, counted in working time?"""
from __future__ import annotations

from datetime import datetime

import click

from escalation.limits import Limit, LimitError
from web.cli.state import CliState, domain_errors
from web.services import calendars_of


@click.group()
def calendar() -> None:
    """Working-time calendar questions."""


@calendar.command("due")
@click.option("--from", "start", required=True, metavar="ISO", help="Start instant, e.g. 2026-09-28T09:00+08:00.")
@click.option("--limit", "limit_text", required=True, metavar="LIMIT", help="30min, 2h, 4wh, 7wd or 15d.")
@click.option("--department", default=None, metavar="CODE", help="Use this department's calendar.")
@click.pass_obj
def due(state: CliState, start: str, limit_text: str, department: str | None) -> None:
    """Print the instant a limit started at --from ends (in the calendar's time zone)."""
    try:
        begin = datetime.fromisoformat(start)
    except ValueError:
        raise click.BadParameter(f"'{start}' is not an ISO 8601 instant", param_hint="--from") from None
    try:
        limit = Limit.parse(limit_text)
    except LimitError as error:
        raise click.BadParameter(str(error), param_hint="--limit") from None
    with domain_errors():
        calendars = calendars_of(state.settings)
    cal = calendars.for_department(department)
    if begin.tzinfo is None:
        begin = begin.replace(tzinfo=cal.timezone)
    instant = limit.due(begin, cal)
    click.echo(instant.astimezone(cal.timezone).isoformat())
    missing = cal.unknown_years(begin, instant)
    if missing:
        click.echo(f"warning: no holiday data for {', '.join(map(str, missing))} in calendar {cal.name}; "
                   "weekends only were counted (add the year to a pack's calendars/holidays.yaml under processes/)",
                   err=True)
