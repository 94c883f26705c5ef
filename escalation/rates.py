"""Rates (三率) per unit and per roll-up unit over a calendar month, ranked, as a policy's ``rates:`` declares them.

An answer is a completed task on the rules' form (or on a rate's own form). It credits the unit
named by the case variable ``credit`` as the case last set it (the start form, a task's form, a
repair) up to the answer. Counted in SQL, one grouped query per distinct form and condition,
merged by unit; the month is local time in the district's time zone.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo

from sqlalchemy import and_, case, func, select, true
from sqlalchemy.orm import Session, aliased

from engine.models import Department, HumanTask, ProcessInstance, TaskEvent, TaskStatus
from escalation.config import Escalation
from escalation.json_match import json_one_of
from escalation.models import SlaPolicy
from escalation.rate_rules import Rate, RateRules, Source

# The audited actions whose data set case variables: a start form, a task's form, a repair's variables.
_SETTERS = ("started", "completed", "case_retried")
_SCORE_DIGITS = 9  # scores equal to this many digits share a rank (0.3 × a + 0.7 × b is not exact)


@dataclass(frozen=True)
class Tally:
    """A unit's answers on the section's form: all of them and those that count; each rate's numerator.

    ``bases`` holds the denominator of every rate with its own form (0 when the unit has no such
    answers); every other rate shares ``counted``.
    """

    answers: int = 0
    counted: int = 0
    hits: Mapping[str, int] = field(default_factory=dict)
    bases: Mapping[str, int] = field(default_factory=dict)

    def of(self, code: str) -> int:
        """The denominator of rate ``code``: its own base, else the answers that count."""
        return self.bases.get(code, self.counted)

    def rate(self, code: str) -> float | None:
        """The share of rate ``code``'s answers meeting it; None without such answers."""
        base = self.of(code)
        return self.hits.get(code, 0) / base if base else None

    def plus(self, other: Tally) -> Tally:
        """Both tallies together (a roll-up pools answers and bases; it never averages rates)."""
        codes = set(self.hits) | set(other.hits)
        own = set(self.bases) | set(other.bases)
        return Tally(self.answers + other.answers, self.counted + other.counted,
                     {c: self.hits.get(c, 0) + other.hits.get(c, 0) for c in codes},
                     {c: self.bases.get(c, 0) + other.bases.get(c, 0) for c in own})


@dataclass(frozen=True)
class Ranked:
    """A line of a ranking: the unit, its place (shared on equal scores), its score and counts."""

    code: str
    name: str | None  # None: the case names a code no unit has
    rank: int | None  # None: no counted answers, so no score
    score: float | None  # the composite (0–1), or the first rate when the rules weigh none
    tally: Tally


@dataclass(frozen=True)
class Unit:
    """What a roll-up needs of a unit."""

    code: str
    name: str
    kind: str
    parent: str | None = None


@dataclass(frozen=True)
class RateBoard:
    """A process's month: units ranked, roll-up units ranked, and answers that credit no unit."""

    process: str
    month: date
    since: datetime
    until: datetime
    rules: RateRules
    units: list[Ranked]
    groups: list[Ranked]
    unattributed: int


def month_window(month: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """[the first day 00:00, the next month's first day 00:00) in local time ``zone``."""
    first = month.replace(day=1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return datetime.combine(first, time(), zone), datetime.combine(following, time(), zone)


def rules_by_process(session: Session, esc: Escalation) -> dict[str, RateRules]:
    """The rates of every process whose newest deployed policy declares some, by process key."""
    newest = (select(SlaPolicy.process_key, func.max(SlaPolicy.version).label("version"))
              .group_by(SlaPolicy.process_key).subquery())
    rows = session.execute(select(SlaPolicy.id, SlaPolicy.process_key).join(newest, and_(
        newest.c.process_key == SlaPolicy.process_key, newest.c.version == SlaPolicy.version))
        .order_by(SlaPolicy.process_key)).all()
    found = {}
    for policy_id, key in rows:
        rules = esc.stored(session, policy_id).rates
        if rules is not None:
            found[key] = rules
    return found


def tallies(session: Session, process: str, rules: RateRules, since: datetime,
            until: datetime) -> dict[str | None, Tally]:
    """Each credited unit's tally of the answers given in [since, until); None collects answers crediting none."""
    found: dict[str | None, Tally] = {}
    own = [r.code for r in rules.rates if rules.source_of(r) != rules.section]
    for source in rules.sources():
        section = source == rules.section
        rates = [r for r in rules.rates if rules.source_of(r) == source]
        for unit, total, counted, numbers in _counts(session, process, rules.credit, source, rates, since, until):
            # Every tally names every rate and every own base, so a unit with answers on one form alone
            # still reads 0 of the others (and pooling never falls back to another rate's denominator).
            hits = {**dict.fromkeys((r.code for r in rules.rates), 0),
                    **dict(zip((r.code for r in rates), numbers, strict=True))}
            bases = {**dict.fromkeys(own, 0), **({} if section else dict.fromkeys((r.code for r in rates), counted))}
            tally = Tally(total, counted, hits, bases) if section else Tally(0, 0, hits, bases)
            found[unit] = found[unit].plus(tally) if unit in found else tally  # "7" and 7 name one unit
    return found


def _counts(session: Session, process: str, credit: str, source: Source, rates: list[Rate], since: datetime,
            until: datetime) -> list[tuple[str | None, int, int, list[int]]]:
    """Per credited unit, the answers on the source's form: all, those meeting its condition, each rate's hits."""
    dialect = session.get_bind().dialect.name
    setter = aliased(TaskEvent)
    value = func.nullif(func.coalesce(setter.payload[("data", credit)].as_string(),
                                      setter.payload[("variables", credit)].as_string()), "")
    credited = (select(value)
                .where(setter.instance_id == TaskEvent.instance_id, setter.id <= TaskEvent.id,
                       setter.action.in_(_SETTERS), value.is_not(None))
                .order_by(setter.id.desc()).limit(1).correlate(TaskEvent).scalar_subquery())
    counts = (json_one_of(dialect, TaskEvent.payload, ("data", source.where.field), source.where.values)
              if source.where else true())
    hits = [case((and_(counts, json_one_of(dialect, TaskEvent.payload, ("data", r.count.field), r.count.values)), 1),
                 else_=0).label(f"hit_{i}") for i, r in enumerate(rates)]
    answers = (
        select(credited.label("credited"), case((counts, 1), else_=0).label("counted"), *hits)
        .select_from(HumanTask)
        .join(TaskEvent, and_(TaskEvent.task_id == HumanTask.id, TaskEvent.action == "completed"))
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(HumanTask.form_key == source.form, HumanTask.status == TaskStatus.COMPLETED,
               HumanTask.completed_at >= since, HumanTask.completed_at < until,
               ProcessInstance.process_key == process)
        .subquery()
    )
    grouped = select(answers.c.credited, func.count(), func.sum(answers.c.counted),
                     *(func.sum(answers.c[f"hit_{i}"]) for i in range(len(rates)))).group_by(answers.c.credited)
    return [(None if unit is None else str(unit), int(total), int(counted or 0), [int(n or 0) for n in numbers])
            for unit, total, counted, *numbers in session.execute(grouped)]


def units(session: Session) -> dict[str, Unit]:
    """Every unit by code with its parent's code, for names and roll-ups (a community rolls up to its street)."""
    parent = aliased(Department)
    return {code: Unit(code, name, str(kind), up)
            for code, name, kind, up in session.execute(
                select(Department.code, Department.name, Department.kind, parent.code)
                .outerjoin(parent, parent.id == Department.parent_id))}


def nearest_of_kinds(code: str, tree: Mapping[str, Unit], kinds: Collection[str]) -> str | None:
    """The nearest unit of one of ``kinds`` from ``code`` upwards, itself first; None when there is none."""
    seen: set[str] = set()
    current: str | None = code
    while current is not None and current in tree and current not in seen:
        seen.add(current)
        if tree[current].kind in kinds:
            return current
        current = tree[current].parent
    return None


def roll_up(found: Mapping[str, Tally], tree: Mapping[str, Unit], kinds: Collection[str]) -> dict[str, Tally]:
    """Each roll-up unit's tally: the answers of every unit whose nearest unit of ``kinds`` it is, pooled."""
    pooled: dict[str, Tally] = {}
    for code, tally in found.items():
        group = nearest_of_kinds(code, tree, kinds)
        if group is not None:
            pooled[group] = pooled[group].plus(tally) if group in pooled else tally
    return pooled


def score(tally: Tally, rules: RateRules) -> float | None:
    """The composite (weights times rates, summed), or the first rate when the rules weigh none.

    A rate without answers of the unit (its own form's, when it has one) is left out and the other
    weights scale up; with no weighed rate to go by, there is no score.
    """
    if not rules.weights:
        return tally.rate(rules.rates[0].code)
    known = [(weight, value) for code, weight in rules.weights.items() if (value := tally.rate(code)) is not None]
    if not known:
        return None
    composite = sum(weight * value for weight, value in known)
    return composite if len(known) == len(rules.weights) else composite / sum(weight for weight, _ in known)


def ranked(found: Mapping[str, Tally], tree: Mapping[str, Unit], rules: RateRules) -> list[Ranked]:
    """Highest score first (more counted answers, then the code, break ties of order); equal scores share a rank."""
    scored = [(code, tally, score(tally, rules)) for code, tally in found.items()]
    scored.sort(key=lambda row: (row[2] is None, -round(row[2] or 0.0, _SCORE_DIGITS), -row[1].counted, row[0]))
    lines: list[Ranked] = []
    for index, (code, tally, value) in enumerate(scored, start=1):
        rank = None
        if value is not None:
            previous = lines[-1] if lines else None
            same = previous is not None and previous.score is not None and \
                round(previous.score, _SCORE_DIGITS) == round(value, _SCORE_DIGITS)
            rank = previous.rank if same and previous is not None else index
        unit = tree.get(code)
        lines.append(Ranked(code, unit.name if unit else None, rank, value, tally))
    return lines


def monthly(session: Session, process: str, rules: RateRules, month: date, zone: tzinfo,
            only: Collection[str] | None = None) -> RateBoard:
    """The board of ``month``; with ``only``, the lines of those units alone (their places in the whole ranking)."""
    since, until = month_window(month, zone)
    found = tallies(session, process, rules, since, until)
    unattributed = found.pop(None, Tally()).answers
    credited = {code: tally for code, tally in found.items() if code is not None}
    tree = units(session)
    unit_lines = ranked(credited, tree, rules)
    group_lines = ranked(roll_up(credited, tree, rules.roll_up), tree, rules) if rules.roll_up else []
    if only is not None:
        allowed = set(only)
        unit_lines = [line for line in unit_lines if line.code in allowed]
        group_lines = [line for line in group_lines if line.code in allowed]
        unattributed = 0  # not theirs to know
    return RateBoard(process, month.replace(day=1), since, until, rules, unit_lines, group_lines, unattributed)
