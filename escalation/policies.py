"""SLA policies: which limits a task's two clocks run on, and the 督办 ladder that follows.

A policy is a YAML file next to the BPMN (``processes/<pack>/policies/<process key>.yaml``).
User tasks name their clock with the BPMN extension property ``clock``; the policy maps
that name to a report-in limit (until the task is claimed) and a completion limit (until
it is completed), chosen by a case variable such as ``whistle_type``. A policy may also declare
the rates (三率) its process is ranked by each month (``rates:``, read by ``escalation.rate_rules``).
"""
from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine import yaml_lines
from engine.errors import Problem
from engine.organisation_data import ROLE_CODE
from engine.yaml_lines import LocatedDict, quoted
from escalation.limits import Limit, LimitError
from escalation.rate_rules import RateRules, RatesReader


class ClockKind(enum.StrEnum):
    """The two clocks of a task."""

    REPORT_IN = "report_in"  # stops when the task is claimed (signed)
    COMPLETE = "complete"  # stops when the task is completed


class Action(enum.StrEnum):
    """What a ladder step does."""

    REMIND = "remind"
    NOTIFY = "notify"
    OVERDUE_DUBAN = "overdue_duban"
    CUIBAN_NOTICE = "cuiban_notice"
    ESCALATE = "escalate"


class Target(enum.StrEnum):
    """Who a ladder step reaches besides holders of a named role (any role code of the role model)."""

    ASSIGNEE = "assignee"  # the task's holder, or everyone who may claim it
    HEAD = "head"  # holders of the head of the task's role (the role model's ``head``) in the task's unit


@dataclass(frozen=True)
class LadderStep:
    """One rung: at a share of the limit (``50%``) or an offset after it (``+1wd``)."""

    level: int
    at: str
    share: float | None
    offset: Limit | None
    action: Action
    targets: tuple[str, ...]  # Target values and role codes
    colour: str | None = None
    reassign: bool = False

    @property
    def is_due_level(self) -> bool:
        """The rung that marks the deadline itself (100%): past it a task is overdue."""
        return self.share == 1.0


@dataclass(frozen=True)
class ClockRule:
    """Which limits a task's clocks use, and whether they count from the task or the case."""

    report_in: str | None
    complete: str | None
    start: str = "task"


@dataclass(frozen=True)
class Policy:
    """A parsed, checked policy file."""

    process: str
    limits_by: str
    limits: Mapping[str, Mapping[str, str]]
    category_limits: Mapping[str, Limit]
    clocks: Mapping[str, ClockRule]
    ladder: tuple[LadderStep, ...]
    source: str
    sha256: str
    report_in_rules: frozenset[str] = frozenset()  # the clocks whose steps count as 报到 (报到率)
    rates: RateRules | None = None  # the rates (三率) the ranking reports, when the policy declares them

    def limit(self, name: str, case: Mapping[str, Any]) -> Limit | None:
        """The limit called ``name`` for a case (``category`` defers to the case's category)."""
        row = self.limits.get(str(case.get(self.limits_by, "")))
        if row is None or name not in row:
            return None
        raw = row[name]
        if raw == "category":
            return self.category_limits.get(str(case.get("category", "")))
        return Limit.parse(raw)

    def clock_limits(self, clock: str, case: Mapping[str, Any]) -> list[tuple[ClockKind, Limit]]:
        """The clocks a task with BPMN property ``clock`` runs, with their limits."""
        rule = self.clocks.get(clock)
        if rule is None:
            return []
        found = []
        for kind, name in ((ClockKind.REPORT_IN, rule.report_in), (ClockKind.COMPLETE, rule.complete)):
            limit = self.limit(name, case) if name else None
            if limit is not None:
                found.append((kind, limit))
        return found


def read_policy(text: str, path: str, *, stored: bool = False) -> tuple[Policy | None, list[Problem]]:
    """Parse and check a policy file; every problem is located by line and key.

    ``stored``: a version deployed earlier, read again to fire its rungs; keys added to the
    format since (``report_in_rules``) may be missing there, and are required of new texts only.
    """
    try:
        data = yaml_lines.load(text)
    except yaml_lines.YamlError as error:
        return None, [Problem(path, error.line, None, error.template, error.params)]
    if not isinstance(data, LocatedDict):
        return None, [Problem(path, 1, None, "a policy file must be a mapping")]
    checker = _Checker(path, data, stored=stored)
    policy = checker.run(text)
    return (policy if not checker.problems else None), checker.problems


class _Checker:
    """Reads one policy mapping, collecting located problems."""

    def __init__(self, path: str, data: LocatedDict, *, stored: bool = False) -> None:
        self.path = path
        self.data = data
        self.stored = stored
        self.problems: list[Problem] = []

    def problem_at(self, owner: LocatedDict, where: str, template: str, /, **params: Any) -> None:
        # Values come from the file, whatever their size: a message repeats only the start of each.
        self.problems.append(Problem(self.path, owner.line_of(where), quoted(where), template,
                                     {k: quoted(v) for k, v in params.items()}))

    def mapping(self, owner: LocatedDict, key: str) -> LocatedDict:
        value = owner.get(key)
        if not isinstance(value, LocatedDict):
            self.problem_at(owner, key, "{key} must be a mapping", key=key)
            empty = LocatedDict()
            empty.line, empty.key_lines = owner.line_of(key), {}
            return empty
        return value

    def limit(self, owner: LocatedDict, key: str, *, allow_category: bool = False) -> Limit | None:
        raw = owner.get(key)
        if allow_category and raw == "category":
            return None
        try:
            return Limit.parse(raw)
        except LimitError as error:
            self.problem_at(owner, key, error.template, **error.params)
            return None

    def run(self, text: str) -> Policy:
        data = self.data
        process = data.get("process")
        if not isinstance(process, str) or not process:
            self.problem_at(data, "process", "name the process key this policy applies to (process: whistle)")
        limits_by = data.get("limits_by")
        if not isinstance(limits_by, str) or not limits_by:
            self.problem_at(data, "limits_by",
                            "name the case variable that chooses the limits (limits_by: whistle_type)")
        limits = self._limits()
        categories = self._category_limits(limits)
        clocks = self._clocks(limits)
        ladder = self._ladder()
        report_in = self._report_in_rules(clocks)
        rates = RatesReader(self.path, self.problems).read(self.data)
        return Policy(str(process), str(limits_by), limits, categories, clocks, ladder, text,
                      hashlib.sha256(text.encode()).hexdigest(), report_in, rates)

    def _limits(self) -> dict[str, dict[str, str]]:
        rows = self.mapping(self.data, "limits")
        result: dict[str, dict[str, str]] = {}
        for choice, row in rows.items():
            if not isinstance(row, LocatedDict):
                self.problem_at(rows, choice, "limits of {choice} must be a mapping of names to limits", choice=choice)
                continue
            for name in row:
                self.limit(row, name, allow_category=True)
            result[str(choice)] = {str(k): str(v) for k, v in row.items()}
        return result

    def _category_limits(self, limits: Mapping[str, Mapping[str, str]]) -> dict[str, Limit]:
        uses_category = any(v == "category" for row in limits.values() for v in row.values())
        if "category_limits" not in self.data and not uses_category:
            return {}
        rows = self.mapping(self.data, "category_limits")
        return {str(code): limit for code in rows if (limit := self.limit(rows, code)) is not None}

    def _clocks(self, limits: Mapping[str, Mapping[str, str]]) -> dict[str, ClockRule]:
        clocks = self.mapping(self.data, "clocks")
        names = {name for row in limits.values() for name in row}
        result = {}
        for clock, rule in clocks.items():
            if not isinstance(rule, LocatedDict):
                self.problem_at(clocks, clock, "clock {clock} must be a mapping", clock=clock)
                continue
            for key in ("report_in", "complete"):
                if key in rule and (not isinstance(rule[key], str) or rule[key] not in names):
                    self.problem_at(rule, key, "{key} names {name}, which no row of limits defines",
                                 key=key, name=rule[key])
            start = rule.get("from", "task")
            if start not in ("task", "case"):
                self.problem_at(rule, "from", "from must be task or case")
            if "report_in" not in rule and "complete" not in rule:
                self.problem_at(clocks, clock, "clock {clock} sets neither report_in nor complete", clock=clock)
            result[str(clock)] = ClockRule(rule.get("report_in"), rule.get("complete"), str(start))
        return result

    def _report_in_rules(self, clocks: Mapping[str, ClockRule]) -> frozenset[str]:
        if "report_in_rules" not in self.data and self.stored:
            return frozenset()
        raw = self.data.get("report_in_rules")
        if not isinstance(raw, list) or not all(isinstance(name, str) for name in raw):
            self.problem_at(self.data, "report_in_rules",
                            "report_in_rules must list the clocks whose steps count as reporting in "
                            "(report_in_rules: [sign, arrive]); write [] when none do")
            return frozenset()
        for name in raw:
            if name not in clocks:
                self.problem_at(self.data, "report_in_rules", "report_in_rules names {clock}, which clocks does not "
                                "define", clock=name)
        return frozenset(raw)

    def _ladder(self) -> tuple[LadderStep, ...]:
        raw = self.data.get("ladder")
        if not isinstance(raw, list) or not raw:
            self.problem_at(self.data, "ladder", "ladder must be a list of steps")
            return ()
        steps = []
        for index, item in enumerate(raw, start=1):
            if not isinstance(item, LocatedDict):
                self.problem_at(self.data, "ladder", "ladder step {n} must be a mapping", n=index)
                continue
            step = self._step(item, index)
            if step is not None:
                steps.append(step)
        levels = [s.level for s in steps]
        if levels != sorted(set(levels)):
            self.problem_at(self.data, "ladder", "ladder levels must rise without repeats")
        return tuple(steps)

    def _step(self, item: LocatedDict, index: int) -> LadderStep | None:
        at = str(item.get("at", ""))
        share, offset = None, None
        if at.endswith("%"):
            try:
                share = float(at[:-1]) / 100
            except ValueError:
                share = -1.0
            if not 0 < share <= 1:
                self.problem_at(item, "at", "at {at}: a share must be between 1% and 100%", at=at)
        elif at.startswith("+"):
            offset = self._offset(item, at)
        else:
            self.problem_at(item, "at", "at {at}: write a share (50%) or an offset after the deadline (+1wd)", at=at)
        try:
            action = Action(item.get("action"))
        except ValueError:
            self.problem_at(item, "action", "action {action} is not one of {allowed}", action=item.get("action"),
                         allowed=", ".join(a.value for a in Action))
            return None
        targets = item.get("to", [])
        targets = [targets] if isinstance(targets, str) else targets
        known = {t.value for t in Target}
        # Role codes are checked against the organisation when the policy is stored (policy_store).
        if not isinstance(targets, list) or not all(
                isinstance(t, str) and (t in known or ROLE_CODE.fullmatch(t)) for t in targets):
            self.problem_at(item, "to", "to must list targets among {allowed}",
                            allowed=", ".join([t.value for t in Target] + ["a role code"]))
            return None
        parsed_targets = tuple(str(t) for t in targets)
        level = item.get("level", index)
        if not isinstance(level, int):
            self.problem_at(item, "level", "level must be a whole number")
            return None
        return LadderStep(level, at, share, offset, action, parsed_targets, item.get("colour"),
                          bool(item.get("reassign", False)))

    def _offset(self, item: LocatedDict, at: str) -> Limit | None:
        try:
            return Limit.parse(at[1:])
        except LimitError as error:
            self.problem_at(item, "at", error.template, **error.params)
            return None
