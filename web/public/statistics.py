"""网上监督: a process's month in public — rates per unit and per street, overdue tasks, trends, the latest cases.

No sign-in, and nothing personal. The rates and the ranking are the supervisors' (web/supervise/ranking.py,
same lines, same rounding); the rest comes from escalation/public_figures.py, which returns only the
start fields named here, never a case's whole data:

- the trends count cases per value of one start field with fixed choices (``?by=``, checked against the
  process's start form; by default the choice field with the most choices, the problem category in the
  packs), labelled by the form's ``x-enumNames``; a value the form does not list is counted as "Other";
- a case line shows its number, start date, state, the label of that field, the unit named by the start
  form's first ``"format": "department"`` field (the street) and the community, only when it names a
  unit under that street in the organisation data (free text never reaches the page);
- cases whose start data holds a :data:`CONFIDENTIAL` value (举报, reports of wrongdoing) are in no list
  and no trend: the reporter's safety comes first (the rates and overdue counts count their tasks, as
  they count every task, without showing them).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from engine import definitions
from engine.errors import NotFound
from engine.whistles import form_of
from escalation import public_figures, rates
from escalation.rates import RateBoard, Unit
from web.db import now, read_session, services
from web.i18n import current_lang
from web.query import TextParam
from web.supervise import ranking
from web.supervise.ranking import Line

BY = TextParam("by", "The start form's choice field the trends count by (default: the one with the most choices).",
               max_length=64)
# 举报 is confidential: such cases are left out of the list and the trends. The packs' (ywtb, rxjb) field
# and value; a process whose start form has no such field loses nothing.
CONFIDENTIAL: dict[str, tuple[str, ...]] = {"request_kind": ("report",)}
COMMUNITY = "community"  # the start field naming the community, shown when it names a unit under the street
TREND_MONTHS = 6
TREND_LINES = 6  # the most frequent values get a line each; the others share one
LIST_SIZE = 50
# The colour of a street on the map by its first rate (percent): the band whose floor it reaches.
BANDS = ((95.0, "top"), (85.0, "good"), (70.0, "fair"), (0.0, "poor"))


@dataclass(frozen=True)
class Choice:
    """A start field with fixed choices: its name, its title and each value's label in the reader's language."""

    name: str
    title: str
    labels: Mapping[str, str]


@dataclass(frozen=True)
class CaseLine:
    """A line of the public case list: nothing but these."""

    number: int
    started: str
    status: str
    label: str | None
    street: str | None
    community: str | None


@dataclass(frozen=True)
class Cell:
    """A street or town on the map: its name, first rate, colour band and communities."""

    code: str
    name: str
    percent: float | None
    band: str
    communities: tuple[str, ...]


@dataclass(frozen=True)
class District:
    """The streets and towns under one unit (a district), as map cells."""

    name: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Month:
    """A process's public month: everything the statistics page and the public API show, nothing more."""

    board: RateBoard
    processes: list[tuple[str, str]]
    units: list[Line]
    groups: list[Line]
    first_rate: str
    choices: list[Choice]
    main: Choice | None  # the choice field the case list labels by
    trend_choice: Choice | None
    trend: dict[str, Any]
    overdue: list[public_figures.UnitCount]
    checked_at: datetime
    cases: list[CaseLine]
    districts: list[District]


def month_figures() -> Month | None:
    """``?process=&month=YYYY-MM&by=``: the month's public figures; None when no process declares rates."""
    by = BY.read()
    chosen = ranking.choose(ranking.PROCESS.read(), ranking.MONTH.read(), None)
    board = chosen.board
    if board is None:
        return None
    session = read_session()
    zone = services().escalation.calendars.default.timezone
    schema = _start_form(session, board.process)
    choices = choices_of(schema)
    main = max(choices, key=lambda c: len(c.labels), default=None)  # the first of the longest
    trend_choice = main
    if by is not None:
        trend_choice = next((c for c in choices if c.name == by), None)
        if trend_choice is None:
            BY.refuse("a choice field of the process's start form: " + ", ".join(c.name for c in choices))
    units, groups = ranking.lines_of(board.units, board.rules), ranking.lines_of(board.groups, board.rules)
    tree = rates.units(session)
    return Month(board, _process_names(session, chosen.processes), units, groups,
                 ranking.rate_label(board.rules.rates[0]), choices, main, trend_choice,
                 _trend(session, board.process, trend_choice, board.month, zone),
                 public_figures.overdue_by_unit(session, board.process, now()), now().astimezone(zone),
                 _cases(session, board.process, schema, main, tree, zone),
                 _districts(tree, board.rules.roll_up, groups))


def statistics() -> str:
    """The statistics page of :func:`month_figures`, with its two charts."""
    month = month_figures()
    if month is None:
        return render_template("public/statistics.html", board=None)
    board, first, trend_choice = month.board, month.first_rate, month.trend_choice
    charts = {
        "rates": {"title": _("%(rate)s by unit", rate=first), "series": first, "empty": _("No answers this month."),
                  "items": [{"name": line.name or _("Unknown unit"), "value": line.cells[0].percent}
                            for line in month.units if line.cells[0].percent is not None]},
        "trend": {"title": _("Cases started per month by %(field)s", field=trend_choice.title)
                  if trend_choice else _("Cases started per month"),
                  "empty": _("No cases in these months."), **month.trend},
    }
    return render_template(
        "public/statistics.html", board=board, units=month.units, groups=month.groups, charts=charts,
        processes=month.processes, choices=month.choices, trend_choice=trend_choice, by=BY.read(),
        previous=(board.month - timedelta(days=1)).replace(day=1),
        following=(board.month + timedelta(days=31)).replace(day=1),
        rate_label=ranking.rate_label, roll_up_label=ranking.roll_up_label(board.rules),
        score_label=ranking.score_label(board.rules), formula=ranking.formula(board.rules),
        overdue=month.overdue, checked_at=month.checked_at, cases=month.cases, main=month.main, first_rate=first,
        districts=month.districts, legend=legend())


def _start_form(session: Session, process: str) -> dict[str, Any]:
    """The newest version's start form; empty when the process has a policy but no deployed definition."""
    try:
        return form_of(session, services().ctx, definitions.get(session, process).id)
    except NotFound:
        return {}


def _process_names(session: Session, keys: Iterable[str]) -> list[tuple[str, str]]:
    """(key, name) of the processes with rates, named as their newest version is."""
    found = []
    for key in keys:
        definition = definitions.latest(session, key)
        found.append((key, definition.name if definition is not None and definition.name else key))
    return found


def choices_of(schema: Mapping[str, Any]) -> list[Choice]:
    """The start form's top-level text fields with fixed choices, in the form's order, labelled for the reader."""
    english = current_lang() == "en"
    found = []
    for name, spec in (schema.get("properties") or {}).items():
        if not isinstance(spec, Mapping) or not public_figures.FIELD_NAME.fullmatch(name):
            continue
        values = spec.get("enum")
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            continue
        names = (english and spec.get("x-enumNames-en")) or spec.get("x-enumNames")
        if not isinstance(names, list) or len(names) != len(values):
            names = values
        title = (english and spec.get("x-title-en")) or spec.get("title") or name
        found.append(Choice(name, str(title), dict(zip(values, map(str, names), strict=True))))
    return found


def _months(last: date, count: int) -> list[date]:
    """The first days of the ``count`` months ending with ``last``'s, oldest first."""
    found = [last.replace(day=1)]
    while len(found) < count:
        found.append((found[-1] - timedelta(days=1)).replace(day=1))
    return found[::-1]


def _trend(session: Session, process: str, choice: Choice | None, month: date, zone: tzinfo) -> dict[str, Any]:
    """Cases started per month and label of ``choice``: months, and one line per frequent label (the rest as one)."""
    months = _months(month, TREND_MONTHS)
    if choice is None:
        return {"months": [f"{m:%Y-%m}" for m in months], "series": []}
    per_month = []
    for first in months:
        since, until = rates.month_window(first, zone)
        found = public_figures.counts_by_field(session, process, choice.name, since, until, confidential=CONFIDENTIAL)
        labelled: dict[str, int] = {}
        for value, n in found.items():
            key = value if value in choice.labels else None  # a value the form does not offer: "Other"
            labelled[key or ""] = labelled.get(key or "", 0) + n
        per_month.append(labelled)
    totals = {v: sum(m.get(v, 0) for m in per_month) for v in choice.labels}
    frequent = [v for v in sorted(choice.labels, key=lambda v: -totals[v]) if totals[v]][:TREND_LINES]
    series = [{"name": choice.labels[v], "values": [m.get(v, 0) for m in per_month]} for v in frequent]
    rest = [sum(n for v, n in m.items() if v not in frequent) for m in per_month]
    if any(rest):
        series.append({"name": _("Other"), "values": rest})
    return {"months": [f"{m:%Y-%m}" for m in months], "series": series}


def _cases(session: Session, process: str, schema: Mapping[str, Any], main: Choice | None,
           tree: Mapping[str, Unit], zone: tzinfo) -> list[CaseLine]:
    """The latest cases but confidential ones, each with its label, street and community (a known unit) only."""
    properties = schema.get("properties") or {}
    street = next((n for n, spec in properties.items() if isinstance(spec, Mapping)
                   and spec.get("format") == "department" and public_figures.FIELD_NAME.fullmatch(n)), None)
    fields = [n for n in (main.name if main else None, street, COMMUNITY) if n and n in properties]
    found = []
    for case in public_figures.latest_cases(session, process, fields, limit=LIST_SIZE, confidential=CONFIDENTIAL):
        value = case.values.get(main.name) if main else None
        place = case.values.get(street) if street else None
        found.append(CaseLine(case.id, case.started_at.astimezone(zone).strftime("%Y-%m-%d"), case.status.value,
                              main.labels.get(value) if main and value else None,
                              tree[place].name if place in tree else None,
                              _community(tree, place, case.values.get(COMMUNITY))))
    return found


def _community(tree: Mapping[str, Unit], street: str | None, value: str | None) -> str | None:
    """The name of the unit under ``street`` that ``value`` names (by name or code); None for anything else."""
    if not street or not value:
        return None
    wanted = value.strip()
    return next((u.name for u in tree.values() if u.parent == street and wanted in (u.name, u.code)), None)


def band(percent: float | None) -> str:
    """The map colour of a first rate: its band's name, ``none`` without answers."""
    if percent is None:
        return "none"
    return next(name for floor, name in BANDS if percent >= floor)


def legend() -> list[tuple[str, str]]:
    """The map's colour key: each band's name and range, then the colour of no answers."""
    found = []
    for index, (floor, name) in enumerate(BANDS):
        ceiling = BANDS[index - 1][0] if index else None
        if ceiling is None:
            text = _("%(low)s%% or more", low=f"{floor:g}")
        elif floor:
            text = _("%(low)s%% to under %(high)s%%", low=f"{floor:g}", high=f"{ceiling:g}")
        else:
            text = _("under %(high)s%%", high=f"{ceiling:g}")
        found.append((name, text))
    return [*found, ("none", _("No answers"))]


def _districts(tree: Mapping[str, Unit], kinds: Iterable[str], groups: list[Line]) -> list[District]:
    """The units of the roll-up kinds (streets, towns) under each parent, with their first rate and children."""
    first = {line.code: line.cells[0].percent for line in groups}
    children: dict[str, list[str]] = {}
    for unit in sorted(tree.values(), key=lambda u: u.code):
        if unit.parent is not None:
            children.setdefault(unit.parent, []).append(unit.name)
    by_parent: dict[str, list[Cell]] = {}
    order = {kind: index for index, kind in enumerate(kinds)}  # streets before towns, as the policy lists them
    for unit in sorted(tree.values(), key=lambda u: (order.get(u.kind, 0), u.code)):
        if unit.kind in order:
            percent = first.get(unit.code)
            by_parent.setdefault(unit.parent or "", []).append(
                Cell(unit.code, unit.name, percent, band(percent), tuple(children.get(unit.code, ()))))
    return [District(tree[parent].name if parent in tree else "", tuple(cells))
            for parent, cells in sorted(by_parent.items())]
