"""``whistle org sync``: make the database's units, kinds, roles, relations and categories match the data.

Idempotent, and it prints what it does. Nothing is ever deleted: a unit, kind or role the data
no longer names is reported and, with ``prune``, deactivated (kept for the history that names it).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from engine import organisation_data
from engine.errors import DefinitionInvalid
from engine.models import Category, Department, RoleDefinition, UnitKind, UnitRelation
from engine.organisation_data import Organisation
from engine.roles import forget_roles


@dataclass
class SyncReport:
    """The changes a sync made (or, when checking, would make), one line each."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # not in the data, kept (no prune)

    @property
    def empty(self) -> bool:
        """Whether the database already matched the data."""
        return not (self.added or self.changed or self.deactivated)

    def lines(self) -> list[str]:
        """The diff as text: ``+`` added, ``~`` changed, ``-`` deactivated, ``?`` kept though not in the data."""
        return ([f"+ {x}" for x in self.added] + [f"~ {x}" for x in self.changed]
                + [f"- {x}" for x in self.deactivated] + [f"? {x}" for x in self.missing])


def sync(session: Session, organisation: Organisation, *, prune: bool = False, where: str = "organisation"
         ) -> SyncReport:
    """Apply ``organisation``; DefinitionInvalid (nothing changed) when it does not hold together."""
    known_kinds = set(session.execute(select(UnitKind.code)).scalars())
    known_units = set(session.execute(select(Department.code)).scalars())
    known_roles = set(session.execute(select(RoleDefinition.code)).scalars())
    parent = aliased(Department)
    known_parents = {code: up for code, up in session.execute(
        select(Department.code, parent.code).outerjoin(parent, parent.id == Department.parent_id))}
    problems = organisation_data.check(organisation, known_kinds, known_units, known_roles, where, known_parents)
    if problems:
        raise DefinitionInvalid(problems)
    report = SyncReport()
    _kinds(session, organisation, report, prune)
    _roles(session, organisation, report, prune)
    units = _units(session, organisation, report, prune)
    _relations(session, organisation, units, report, prune)
    _categories(session, organisation, units, report)
    repath(session)
    forget_roles(session)
    return report


def _kinds(session: Session, data: Organisation, report: SyncReport, prune: bool) -> None:
    rows = {k.code: k for k in session.execute(select(UnitKind)).scalars()}
    for code, (label, label_en) in data.kinds.items():
        row = rows.get(code)
        if row is None:
            session.add(UnitKind(code=code, label=label, label_en=label_en, active=True))
            report.added.append(f"unit kind {code} {label}")
        elif (row.label, row.label_en, row.active) != (label, label_en, True):
            row.label, row.label_en, row.active = label, label_en, True
            report.changed.append(f"unit kind {code} {label}")
    for code, row in rows.items():
        if code not in data.kinds and row.active:
            _absent(report, prune, f"unit kind {code} {row.label}", row)


def _roles(session: Session, data: Organisation, report: SyncReport, prune: bool) -> None:
    rows = {r.code: r for r in session.execute(select(RoleDefinition)).scalars()}
    for code, role in data.roles.items():
        values = {"label": role.label, "label_en": role.label_en, "unit_kinds": sorted(role.unit_kinds),
                  "head": role.head, "capabilities": sorted(role.capabilities),
                  "distributes": sorted(role.distributes), "oversees": list(role.oversees), "assign": role.assign,
                  "active": True}
        row = rows.get(code)
        if row is None:
            session.add(RoleDefinition(code=code, **values))
            report.added.append(f"role {code} {role.label}")
            continue
        differs = [k for k, v in values.items() if getattr(row, k) != v]
        if differs:
            for key in differs:
                setattr(row, key, values[key])
            report.changed.append(f"role {code} {role.label}: {', '.join(differs)}")
    for code, row in rows.items():
        if code not in data.roles and row.active:
            _absent(report, prune, f"role {code} {row.label}", row)


def _units(session: Session, data: Organisation, report: SyncReport, prune: bool) -> dict[str, Department]:
    rows = {u.code: u for u in session.execute(select(Department)).scalars()}
    for spec in _parents_first(data):
        row = rows.get(spec.code)
        parent = rows[spec.parent] if spec.parent else None
        if row is None:
            row = Department(code=spec.code, name=spec.name, short_name=spec.short, kind=spec.kind,
                             parent_id=parent.id if parent else None, path="", active=True, duties=list(spec.duties))
            session.add(row)
            session.flush()
            rows[spec.code] = row
            report.added.append(f"unit {spec.code} {spec.name} ({spec.kind}"
                                + (f", under {spec.parent})" if spec.parent else ")"))
            continue
        values = {"name": spec.name, "short_name": spec.short, "kind": spec.kind,
                  "parent_id": parent.id if parent else None, "duties": list(spec.duties), "active": True}
        differs = [k for k, v in values.items() if getattr(row, k) != v]
        if differs:
            for key in differs:
                setattr(row, key, values[key])
            report.changed.append(f"unit {spec.code} {spec.name}: {', '.join(differs)}")
    for code, row in rows.items():
        if code not in data.units and row.active:
            _absent(report, prune, f"unit {code} {row.name}", row)
    session.flush()
    return rows


def _parents_first(data: Organisation) -> list[organisation_data.UnitSpec]:
    ordered: list[organisation_data.UnitSpec] = []
    placed: set[str] = set()
    pending = list(data.units.values())
    while pending:
        ready = [u for u in pending if u.parent is None or u.parent not in data.units or u.parent in placed]
        if not ready:  # check() refused loops already; keep going rather than spin
            ready = pending
        for unit in ready:
            ordered.append(unit)
            placed.add(unit.code)
        pending = [u for u in pending if u.code not in placed]
    return ordered


def _relations(session: Session, data: Organisation, units: dict[str, Department], report: SyncReport,
               prune: bool) -> None:
    ids = {u.id: code for code, u in units.items()}
    rows = {(r.kind, ids.get(r.unit_id), ids.get(r.other_id)): r
            for r in session.execute(select(UnitRelation)).scalars()}
    for kind, unit, other in data.relations:
        if (kind, unit, other) not in rows:
            session.add(UnitRelation(kind=kind, unit_id=units[unit].id, other_id=units[other].id))
            rows[(kind, unit, other)] = None  # type: ignore[assignment]
            report.added.append(f"relation {kind}: {unit} → {other}")
    wanted = set(data.relations)
    for key, row in rows.items():
        if row is not None and key not in wanted:
            if prune:
                session.delete(row)  # a relation has no history of its own
                report.deactivated.append(f"relation {key[0]}: {key[1]} → {key[2]}")
            else:
                report.missing.append(f"relation {key[0]}: {key[1]} → {key[2]}")


def _categories(session: Session, data: Organisation, units: dict[str, Department], report: SyncReport) -> None:
    rows = {c.code: c for c in session.execute(select(Category)).scalars()}
    for spec in data.categories.values():
        values = {"name": spec.name, "owner_id": units[spec.owner].id, "co_owner_codes": list(spec.co),
                  "time_limit": spec.limit, "note": spec.note}
        row = rows.get(spec.code)
        if row is None:
            session.add(Category(code=spec.code, **values))
            report.added.append(f"category {spec.code} {spec.name}")
            continue
        differs = [k for k, v in values.items() if getattr(row, k) != v]
        if differs:
            for key in differs:
                setattr(row, key, values[key])
            report.changed.append(f"category {spec.code} {spec.name}: {', '.join(differs)}")


def _absent(report: SyncReport, prune: bool, what: str, row: UnitKind | RoleDefinition | Department) -> None:
    if prune:
        row.active = False
        report.deactivated.append(what)
    else:
        report.missing.append(what)


def repath(session: Session) -> int:
    """Recompute every unit's ``path`` from its parents; how many changed."""
    session.flush()
    units = {u.id: u for u in session.execute(select(Department)).scalars()}
    paths: dict[int, str] = {}

    def path_of(unit_id: int) -> str:
        chain: list[int] = []
        current: int | None = unit_id
        while current is not None and current not in paths and len(chain) <= organisation_data.MAX_DEPTH * 4:
            chain.append(current)
            current = units[current].parent_id if current in units else None
        prefix = paths.get(current, "/") if current is not None else "/"
        for item in reversed(chain):
            prefix = f"{prefix}{item}/"
            paths[item] = prefix
        return paths[unit_id]

    changed = 0
    for unit_id, unit in units.items():
        new = path_of(unit_id)
        if new != unit.path:
            unit.path = new
            changed += 1
    session.flush()
    return changed
