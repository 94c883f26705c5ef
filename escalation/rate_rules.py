"""The ``rates:`` section of a policy: which answers count, which unit they credit, the rates and their weights.

A practice declares its rates (三率: 响应率、解决率、满意率, or any others) in data: the form whose
completed tasks are the answers, the case variable naming the unit credited, the condition an
answer must meet to count, one condition per rate, and optional weights of a composite score.
A rate may name its own form (and condition): its denominator is then that form's answers
(退单率 over 签收 answers beside 满意率 over ratings). Nothing here names a form, a field or a
unit kind; the policy does.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.errors import Problem
from engine.yaml_lines import LocatedDict, quoted

# Form fields and case variables are top-level names of the form data.
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
CODE = re.compile(r"[a-z][a-z0-9_]{0,31}")
KIND = re.compile(r"[A-Za-z0-9_-]{1,32}")
MAX_RATES = 12
MAX_VALUES = 20
MAX_LABEL = 40
WEIGHT_SUM_TOLERANCE = 1e-6
_KEYS = ("credit", "from_form", "where", "roll_up", "roll_up_label", "roll_up_label_en", "list", "composite")
_RATE_KEYS = ("code", "label", "label_en", "from_form", "where", "count")
MAX_FORM = 128

Scalar = str | int | bool


@dataclass(frozen=True)
class Condition:
    """An answer meets it when its field holds one of the values (a bare field name means ``true``)."""

    field: str
    values: tuple[Scalar, ...]


@dataclass(frozen=True)
class Source:
    """Where a denominator comes from: the completed tasks on ``form`` meeting ``where`` (None: all of them)."""

    form: str
    where: Condition | None


@dataclass(frozen=True)
class Rate:
    """One rate: answers meeting ``count`` among the answers that count (its own source's, or the section's)."""

    code: str
    label: str
    label_en: str | None
    count: Condition
    source: Source | None = None  # its own form and condition; None: the section's, shared with its other rates


@dataclass(frozen=True)
class RateRules:
    """A process's rates, as its policy declares them."""

    credit: str  # the case variable naming the unit an answer credits
    form: str  # completed tasks on this form are the answers
    where: Condition | None  # only answers meeting it are counted (None: every answer)
    roll_up: tuple[str, ...]  # unit kinds: each unit's counts also go to its nearest unit of these kinds
    roll_up_label: str | None
    roll_up_label_en: str | None
    rates: tuple[Rate, ...]
    weights: Mapping[str, float]  # rate code -> weight of the composite score; empty: rank by the first rate

    def rate(self, code: str) -> Rate | None:
        """The rate with this code."""
        return next((r for r in self.rates if r.code == code), None)

    @property
    def section(self) -> Source:
        """The section's own source: its ``from_form`` and ``where``, the denominator ``counted``."""
        return Source(self.form, self.where)

    def source_of(self, rate: Rate) -> Source:
        """Where ``rate`` counts: its own source, or the section's."""
        return rate.source or self.section

    def sources(self) -> tuple[Source, ...]:
        """Every distinct source, the section's first (one count each)."""
        found = [self.section]
        for rate in self.rates:
            if self.source_of(rate) not in found:
                found.append(self.source_of(rate))
        return tuple(found)


class RatesReader:
    """Reads the ``rates`` mapping of a policy, adding located problems to ``problems``."""

    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        self.prefix = "rates."

    def problem_at(self, owner: LocatedDict, key: str, template: str, /, **params: Any) -> None:
        """A problem on ``key`` of ``owner``, named by its place in the section (``rates.list[2].count``)."""
        self.problems.append(Problem(self.path, owner.line_of(key), self.prefix + key, template,
                                     {k: quoted(v) for k, v in params.items()}))

    def read(self, policy: LocatedDict) -> RateRules | None:
        """The rules of ``policy['rates']``; None when the policy has no such section or it is broken."""
        if "rates" not in policy:
            return None
        section = policy["rates"]
        if not isinstance(section, LocatedDict):
            self.prefix = ""
            self.problem_at(policy, "rates", "rates must be a mapping (credit, from_form, list, ...)")
            return None
        before = len(self.problems)
        for key in section:
            if key not in _KEYS:
                self.problem_at(section, key, "rates takes no key {key}; it takes {allowed}", key=key,
                                allowed=", ".join(_KEYS))
        credit = self._name(section, "credit", "name the case variable that holds the unit credited (credit: handler)")
        form = _form(section)
        if form is None:
            self.problem_at(section, "from_form", "name the form whose completed tasks are the answers "
                            "(from_form: visit)")
        where = self._condition(section, "where") if "where" in section else None
        roll_up = self._roll_up(section)
        labels = [self._label(section, key, required=False) for key in ("roll_up_label", "roll_up_label_en")]
        rates = self._rates(section)
        weights = self._weights(section, rates)
        if len(self.problems) > before:
            return None
        return RateRules(str(credit), str(form), where, roll_up, labels[0], labels[1], rates, weights)

    def _name(self, owner: LocatedDict, key: str, missing: str) -> str | None:
        value = owner.get(key)
        if not isinstance(value, str) or not NAME.fullmatch(value):
            if key in owner:
                self.problem_at(owner, key, "{key} {value} is not a field name (letters, digits and _)", key=key,
                                value=value)
            else:
                self.problem_at(owner, key, missing)
            return None
        return value

    def _label(self, owner: LocatedDict, key: str, *, required: bool) -> str | None:
        value = owner.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_LABEL:
            self.problem_at(owner, key, "{key} must be a text of 1 to {limit} characters", key=key, limit=MAX_LABEL)
            return None
        return value.strip()

    def _condition(self, owner: LocatedDict, key: str) -> Condition | None:
        """A bare field name (its value is true) or ``{field: [values]}`` (its value is one of them)."""
        raw = owner.get(key)
        if isinstance(raw, str):
            return Condition(raw, (True,)) if self._name(owner, key, "") else None
        if not isinstance(raw, LocatedDict) or len(raw) != 1:
            self.problem_at(owner, key, "{key} must name a field, or map one field to a list of its values",
                            key=key)
            return None
        field, values = next(iter(raw.items()))
        values = values if isinstance(values, list) else [values]
        if not NAME.fullmatch(field):
            self.problem_at(owner, key, "{key} {value} is not a field name (letters, digits and _)", key=key,
                            value=field)
            return None
        if not values or len(values) > MAX_VALUES or not all(_scalar(v) for v in values):
            self.problem_at(owner, key, "{key}: the values of {field} must be 1 to {limit} texts, whole numbers "
                            "or true/false", key=key, field=field, limit=MAX_VALUES)
            return None
        return Condition(field, tuple(values))

    def _roll_up(self, section: LocatedDict) -> tuple[str, ...]:
        raw = section.get("roll_up", [])
        raw = [raw] if isinstance(raw, str) else raw
        if not isinstance(raw, list) or not all(isinstance(k, str) and KIND.fullmatch(k) for k in raw):
            self.problem_at(section, "roll_up", "roll_up must list unit kinds ([street, town])")
            return ()
        return tuple(raw)

    def _rates(self, section: LocatedDict) -> tuple[Rate, ...]:
        raw = section.get("list")
        if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_RATES:
            self.problem_at(section, "list", "list must hold 1 to {limit} rates, each with code, label and count",
                            limit=MAX_RATES)
            return ()
        found: list[Rate] = []
        for index, item in enumerate(raw, start=1):
            self.prefix = f"rates.list[{index}]."
            if not isinstance(item, LocatedDict):
                self.prefix = "rates."
                self.problem_at(section, "list", "rate {n} must be a mapping with code, label and count", n=index)
                continue
            rate = self._rate(item, {r.code for r in found})
            if rate is not None:
                found.append(rate)
        self.prefix = "rates."
        return tuple(found)

    def _rate(self, item: LocatedDict, codes: set[str]) -> Rate | None:
        for key in item:
            if key not in _RATE_KEYS:
                self.problem_at(item, key, "a rate takes no key {key}; it takes {allowed}", key=key,
                                allowed=", ".join(_RATE_KEYS))
        code = item.get("code")
        if not isinstance(code, str) or not CODE.fullmatch(code):
            self.problem_at(item, "code", "code must be 1 to 32 lower-case letters, digits and _, starting with a "
                            "letter")
            code = None
        elif code in codes:
            self.problem_at(item, "code", "code {code} is used by an earlier rate", code=code)
            code = None
        label = self._label(item, "label", required=True)
        label_en = self._label(item, "label_en", required=False)
        count = self._condition(item, "count") if "count" in item else None
        if "count" not in item:
            self.problem_at(item, "count", "count must say which answers the rate counts (count: solved)")
        source, ok = self._own_source(item)
        if code is None or label is None or count is None or not ok:
            return None
        return Rate(code, label, label_en, count, source)

    def _own_source(self, item: LocatedDict) -> tuple[Source | None, bool]:
        """A rate's own ``from_form`` and ``where`` (None: the section's), and whether they read."""
        if "from_form" not in item:
            if "where" in item:  # alone it would be unclear whether it adds to the section's where or replaces it
                self.problem_at(item, "where", "a rate's where needs the rate's own from_form (name the section's "
                                "form again to count it under another condition)")
                return None, False
            return None, True
        form = _form(item)
        if form is None:
            self.problem_at(item, "from_form", "from_form must name the form whose completed tasks are this rate's "
                            "answers (from_form: signing)")
        where = self._condition(item, "where") if "where" in item else None
        if form is None or ("where" in item and where is None):
            return None, False
        return Source(form, where), True

    def _weights(self, section: LocatedDict, rates: tuple[Rate, ...]) -> dict[str, float]:
        raw = section.get("composite")
        if raw is None:
            return {}
        if not isinstance(raw, LocatedDict) or not raw:
            self.problem_at(section, "composite", "composite must map rate codes to weights")
            return {}
        self.prefix = "rates.composite."
        codes = {r.code for r in rates}
        weights: dict[str, float] = {}
        for code, weight in raw.items():
            if code not in codes:
                self.problem_at(raw, code, "composite names {code}, which list does not define", code=code)
            elif isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight <= 1:
                self.problem_at(raw, code, "the weight of {code} must be a number above 0 and at most 1", code=code)
            else:
                weights[code] = float(weight)
        self.prefix = "rates."
        total = sum(weights.values())
        if len(weights) == len(raw) and not math.isclose(total, 1.0, abs_tol=WEIGHT_SUM_TOLERANCE):
            self.problem_at(section, "composite", "the weights of composite must add up to 1 (they add up to "
                            "{total})", total=round(total, 6))
        return weights


def _form(owner: LocatedDict) -> str | None:
    """``from_form`` of ``owner`` when it is a form key of 1 to 128 characters."""
    form = owner.get("from_form")
    return form if isinstance(form, str) and form.strip() and len(form) <= MAX_FORM else None


def _scalar(value: object) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return abs(value) < 2**53  # what both databases compare exactly as a JSON number
    return isinstance(value, str) and 0 < len(value) <= 128
