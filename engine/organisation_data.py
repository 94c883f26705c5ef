"""Reading a pack's organisation.yaml: unit kinds, roles, units, relations, categories — checked and located."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import unit_expressions, yaml_lines
from engine.errors import Problem
from engine.roles import Capability, Role
from engine.yaml_lines import LocatedDict, quoted

MAX_FILE_BYTES = 512 * 1024
MAX_ITEMS = 5000  # units, roles, kinds, relations or categories in one file
MAX_DEPTH = 12  # levels of the unit tree
ROLE_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
KIND_CODE = ROLE_CODE
UNIT_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,31}")
_LIMIT = re.compile(r"\d{1,4}(min|h|wh|wd|d)")


@dataclass(frozen=True)
class UnitSpec:
    """One unit as the data declares it."""

    code: str
    name: str
    kind: str
    parent: str | None = None
    short: str | None = None
    duties: tuple[str, ...] = ()
    line: int = 0


@dataclass(frozen=True)
class CategorySpec:
    """One problem category with its lead owner and co-owners."""

    code: str
    name: str
    owner: str
    co: tuple[str, ...] = ()
    limit: str | None = None
    note: str | None = None
    line: int = 0


@dataclass
class Organisation:
    """What one or more organisation files declare (later files add to earlier ones)."""

    kinds: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (label, label_en)
    roles: dict[str, Role] = field(default_factory=dict)
    units: dict[str, UnitSpec] = field(default_factory=dict)
    relations: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, unit, other)
    categories: dict[str, CategorySpec] = field(default_factory=dict)


class _Reader:
    """Reads one file into an :class:`Organisation`, collecting located problems."""

    def __init__(self, path: str, into: Organisation) -> None:
        self.path = path
        self.into = into
        self.problems: list[Problem] = []

    def problem_at(self, owner: LocatedDict, key: str, template: str, **params: Any) -> None:
        self.problems.append(Problem(self.path, owner.line_of(key), key, template, params))

    def text(self, row: LocatedDict, key: str, limit: int, *, required: bool = True) -> str | None:
        value = row.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
            self.problem_at(row, key, "{key} must be a non-empty text", key=key)
            return None
        text = str(value).strip()
        if len(text) > limit or "\x00" in text:
            self.problem_at(row, key, "{key} is longer than {limit} characters", key=key, limit=limit)
            return None
        return text

    def code(self, row: LocatedDict, key: str, pattern: re.Pattern[str], *, required: bool = True) -> str | None:
        value = row.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not pattern.fullmatch(value):
            self.problem_at(row, key, "{key} {value} is not a valid code ({pattern})", key=key,
                         value=quoted(value), pattern=pattern.pattern)
            return None
        return value

    def codes(self, row: LocatedDict, key: str, pattern: re.Pattern[str]) -> tuple[str, ...]:
        value = row.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or len(value) > 100:
            self.problem_at(row, key, "{key} must be a list of codes", key=key)
            return ()
        found = []
        for item in value:
            if not isinstance(item, str) or not pattern.fullmatch(item):
                self.problem_at(row, key, "{key} {value} is not a valid code ({pattern})", key=key,
                             value=quoted(item), pattern=pattern.pattern)
            else:
                found.append(item)
        return tuple(found)

    def rows(self, data: LocatedDict, key: str) -> list[LocatedDict]:
        value = data.get(key, [])
        if not isinstance(value, list):
            self.problem_at(data, key, "{key} must be a list", key=key)
            return []
        if len(value) > MAX_ITEMS:
            self.problem_at(data, key, "{key} lists more than {limit} items", key=key, limit=MAX_ITEMS)
            return []
        rows = []
        for index, row in enumerate(value):
            if not isinstance(row, LocatedDict):
                self.problem_at(data, key, "{key}[{index}] must be a mapping", key=key, index=index)
            else:
                rows.append(row)
        return rows

    def read(self, data: Any) -> None:
        if not isinstance(data, LocatedDict):
            self.problems.append(Problem(self.path, 1, None, "the organisation file is not a mapping", {}))
            return
        for key in data:
            if key not in ("unit_kinds", "roles", "units", "relations", "categories"):
                self.problem_at(data, key, "unknown section {key}", key=key)
        for row in self.rows(data, "unit_kinds"):
            self.kind(row)
        for row in self.rows(data, "roles"):
            self.role(row)
        for row in self.rows(data, "units"):
            self.unit(row)
        for row in self.rows(data, "relations"):
            self.relation(row)
        for row in self.rows(data, "categories"):
            self.category(row)

    def kind(self, row: LocatedDict) -> None:
        code = self.code(row, "code", KIND_CODE)
        label = self.text(row, "label", 100)
        label_en = self.text(row, "label_en", 100, required=False) or ""
        if code and label:
            self.into.kinds[code] = (label, label_en)

    def role(self, row: LocatedDict) -> None:
        code = self.code(row, "code", ROLE_CODE)
        label = self.text(row, "label", 100)
        label_en = self.text(row, "label_en", 100, required=False) or ""
        head = self.code(row, "head", ROLE_CODE, required=False)
        capabilities = self.codes(row, "capabilities", ROLE_CODE)
        known = {c.value for c in Capability}
        for capability in capabilities:
            if capability not in known:
                self.problem_at(row, "capabilities", "unknown capability {value} (known: {known})",
                             value=capability, known=", ".join(sorted(known)))
        assign = self.text(row, "assign", unit_expressions.MAX_LENGTH, required=False)
        if assign is not None:
            try:
                unit_expressions.parse(assign)
            except unit_expressions.ExpressionInvalid as error:
                self.problem_at(row, "assign", "assignment expression: {reason}", reason=str(error))
        if code and label:
            self.into.roles[code] = Role(code, label, label_en, frozenset(self.codes(row, "unit_kinds", KIND_CODE)),
                                         head, frozenset(capabilities),
                                         frozenset(self.codes(row, "distributes", ROLE_CODE)),
                                         self.codes(row, "oversees", KIND_CODE), assign)

    def unit(self, row: LocatedDict) -> None:
        code = self.code(row, "code", UNIT_CODE)
        name = self.text(row, "name", 100)
        kind = self.code(row, "kind", KIND_CODE)
        parent = self.code(row, "parent", UNIT_CODE, required=False)
        short = self.text(row, "short", 50, required=False)
        duties = row.get("duties", [])
        if not isinstance(duties, list) or len(duties) > 100 or not all(
                isinstance(d, str) and 0 < len(d) <= 50 for d in duties):
            self.problem_at(row, "duties", "duties must be a list of texts of at most 50 characters")
            duties = []
        if code and code in self.into.units:
            self.problem_at(row, "code", "unit {code} is declared twice", code=code)
        elif code and name and kind:
            self.into.units[code] = UnitSpec(code, name, kind, parent, short, tuple(duties), row.line)

    def relation(self, row: LocatedDict) -> None:
        kind = self.code(row, "kind", KIND_CODE)
        unit = self.code(row, "unit", UNIT_CODE)
        other = self.code(row, "to", UNIT_CODE)
        if kind and unit and other:
            self.into.relations.append((kind, unit, other))

    def category(self, row: LocatedDict) -> None:
        code = self.code(row, "code", UNIT_CODE)
        name = self.text(row, "name", 100)
        owner = self.code(row, "owner", UNIT_CODE)
        co = self.codes(row, "co", UNIT_CODE)
        limit = row.get("limit")
        if limit is not None and not (isinstance(limit, str) and _LIMIT.fullmatch(limit)):
            self.problem_at(row, "limit", "limit {value} is not a time limit such as 7wd, 24h or 15d",
                            value=quoted(limit))
            limit = None
        note = self.text(row, "note", 255, required=False)
        if code and name and owner:
            self.into.categories[code] = CategorySpec(code, name, owner, co, limit, note, row.line)


def read_file(path: Path, into: Organisation | None = None) -> tuple[Organisation, list[Problem]]:
    """Add what ``path`` declares to ``into`` (a new organisation by default); problems are located."""
    into = into if into is not None else Organisation()
    name = str(path)
    try:
        raw = path.read_bytes()[: MAX_FILE_BYTES + 1]
        if len(raw) > MAX_FILE_BYTES:
            return into, [Problem(name, 1, None, "the file is larger than {limit} bytes", {"limit": MAX_FILE_BYTES})]
        data = yaml_lines.load(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        return into, [Problem(name, None, None, "cannot read the file: {reason}", {"reason": quoted(str(error))})]
    except yaml_lines.YamlError as error:
        return into, [Problem(name, error.line, None, error.template, error.params)]
    reader = _Reader(name, into)
    reader.read(data)
    return into, reader.problems


def check(organisation: Organisation, known_kinds: set[str] = frozenset(),  # type: ignore[assignment]
          known_units: set[str] = frozenset(), known_roles: set[str] = frozenset(),  # type: ignore[assignment]
          where: str = "organisation", known_parents: Mapping[str, str | None] | None = None) -> list[Problem]:
    """Cross-references: kinds, parents, heads, owners exist (here or already in the database); no cycles."""
    problems: list[Problem] = []
    kinds = set(organisation.kinds) | set(known_kinds)
    units = set(organisation.units) | set(known_units)
    roles = set(organisation.roles) | set(known_roles)

    def say(line: int, element: str, template: str, **params: Any) -> None:
        problems.append(Problem(where, line or None, element, template, params))

    for role in organisation.roles.values():
        for kind in role.unit_kinds | set(role.oversees):
            if kind not in kinds:
                say(0, role.code, "role {role} names an unknown unit kind {kind}", role=role.code, kind=kind)
        for other in ({role.head} if role.head else set()) | role.distributes:
            if other not in roles:
                say(0, role.code, "role {role} names an unknown role {other}", role=role.code, other=other)
    for unit in organisation.units.values():
        if unit.kind not in kinds:
            say(unit.line, unit.code, "unit {unit} has an unknown kind {kind}", unit=unit.code, kind=unit.kind)
        if unit.parent is not None and unit.parent not in units:
            say(unit.line, unit.code, "unit {unit} names an unknown parent {parent}", unit=unit.code,
                parent=unit.parent)
        # Parents declared here win; others come from the database, so a loop through stored units is found too.
        depth, seen, current = 0, {unit.code}, unit.parent
        while current is not None:
            depth += 1
            if current in seen or depth > MAX_DEPTH:
                say(unit.line, unit.code, "unit {unit} sits in a loop or deeper than {limit} levels",
                    unit=unit.code, limit=MAX_DEPTH)
                break
            seen.add(current)
            spec = organisation.units.get(current)
            current = spec.parent if spec is not None else (known_parents or {}).get(current)
    for kind, unit, other in organisation.relations:
        for code in (unit, other):
            if code not in units:
                say(0, kind, "relation {kind} names an unknown unit {unit}", kind=kind, unit=code)
    for category in organisation.categories.values():
        for code in (category.owner, *category.co):
            if code not in units:
                say(category.line, category.code, "category {code} names an unknown unit {unit}",
                    code=category.code, unit=code)
    return problems
