"""The monthly ranking (三率): units and roll-up units by score, each rate with its counts; ``?format=csv`` too.

The page, its CSV and ``GET /api/v1/rates`` read the same lines (:func:`lines_of`), rounded once,
so a number on the page is the number in the download.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.errors import NotFound
from escalation import rates
from escalation.rate_rules import Rate, RateRules
from escalation.rates import Ranked, RateBoard
from web.db import now, read_session, services
from web.i18n import current_lang
from web.query import MonthParam, TextParam
from web.supervise.access import reach, supervision_page
from web.supervise.csv_export import csv_response

PROCESS = TextParam("process", "The process to rank, by key (default: the first whose policy declares rates).",
                    max_length=128)
MONTH = MonthParam("month", "The month, YYYY-MM, in the district's time zone (default: this month).")


@dataclass(frozen=True)
class Cell:
    """One rate of one line: the percentage to one decimal, and the counts it comes from."""

    percent: float | None
    hits: int
    of: int


@dataclass(frozen=True)
class Line:
    """A line of a ranking as shown and downloaded."""

    rank: int | None
    code: str
    name: str | None
    answers: int
    counted: int
    cells: tuple[Cell, ...]
    score: float | None  # points out of 100, two decimals


@dataclass(frozen=True)
class Chosen:
    """What a request asks for: the board (None when no process declares rates) and the processes that do."""

    board: RateBoard | None
    processes: tuple[str, ...]


def lines_of(ranked: list[Ranked], rules: RateRules) -> list[Line]:
    """The ranking's lines, rounded as every reader sees them."""
    return [Line(r.rank, r.code, r.name, r.tally.answers, r.tally.counted,
                 tuple(_cell(r, rate) for rate in rules.rates),
                 None if r.score is None else round(r.score * 100, 2)) for r in ranked]


def _cell(line: Ranked, rate: Rate) -> Cell:
    value = line.tally.rate(rate.code)
    return Cell(None if value is None else round(value * 100, 1), line.tally.hits.get(rate.code, 0),
                line.tally.of(rate.code))


def choose(process: str | None, month: date | None, only: list[str] | None) -> Chosen:
    """The board a request asks for; NotFound for a process whose newest policy declares no rates."""
    session = read_session()
    esc = services().escalation
    found = rates.rules_by_process(session, esc)
    if not found and process is None:
        return Chosen(None, ())
    key = process or next(iter(found))
    if key not in found:
        raise NotFound("Process {key} declares no rates (rates: in its policy).", key=key)
    zone = esc.calendars.default.timezone
    month = month or now().astimezone(zone).date().replace(day=1)
    return Chosen(rates.monthly(session, key, found[key], month, zone, only), tuple(found))


def rate_label(rate: Rate) -> str:
    """The rate's name in the reader's language (the policy writes both)."""
    return rate.label_en if current_lang() == "en" and rate.label_en else rate.label


def roll_up_label(rules: RateRules) -> str:
    """The heading of the roll-up table, as the policy names it."""
    named = rules.roll_up_label_en if current_lang() == "en" and rules.roll_up_label_en else rules.roll_up_label
    return named or _("By area")


def score_label(rules: RateRules) -> str:
    """What the ranking is by: the composite score, or the first rate."""
    return _("Composite score") if rules.weights else _("Ranked by %(rate)s", rate=rate_label(rules.rates[0]))


def formula(rules: RateRules) -> str | None:
    """The composite as the policy weighs it ("0.3 × 响应率 + …"); None when it weighs nothing."""
    terms = [f"{rules.weights[rate.code]:g} × {rate_label(rate)}" for rate in rules.rates if rate.code in rules.weights]
    return " + ".join(terms) or None


@supervision_page
def ranking() -> str | Response:
    """``?process=&month=YYYY-MM``: the month's ranking; ``&format=csv`` downloads it."""
    chosen = choose(PROCESS.read(), MONTH.read(), reach())
    board = chosen.board
    if board is None:
        return render_template("supervise/ranking.html", board=None, processes=())
    units, groups = lines_of(board.units, board.rules), lines_of(board.groups, board.rules)
    if request.args.get("format") == "csv":
        return _csv(board, units, groups)
    previous = (board.month - timedelta(days=1)).replace(day=1)
    following = (board.month + timedelta(days=31)).replace(day=1)
    return render_template("supervise/ranking.html", board=board, units=units, groups=groups,
                           processes=chosen.processes, previous=previous, following=following,
                           rate_label=rate_label, roll_up_label=roll_up_label(board.rules),
                           score_label=score_label(board.rules), formula=formula(board.rules))


def _csv(board: RateBoard, units: list[Line], groups: list[Line]) -> Response:
    rules = board.rules
    header = [_("Table"), _("Rank"), _("Unit code"), _("Unit"), _("Follow-up answers"), _("Answers counted")]
    for rate in rules.rates:
        header += [_("%(rate)s (%%)", rate=rate_label(rate)), _("%(rate)s: numerator", rate=rate_label(rate)),
                   _("%(rate)s: denominator", rate=rate_label(rate))]
    header.append(score_label(rules))
    body = []
    for table, lines in ((_("Units"), units), (roll_up_label(rules), groups)):
        for line in lines:
            row: list[object] = [table, line.rank, line.code, line.name or "", line.answers, line.counted]
            for cell in line.cells:
                row += [cell.percent, cell.hits, cell.of]
            row.append(line.score)
            body.append(row)
    name = board.process if board.process.isascii() else "process"  # the download name must be ASCII
    return csv_response(f"rates-{name}-{board.month:%Y-%m}.csv", header, body)
