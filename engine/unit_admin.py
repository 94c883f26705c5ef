"""Administrators editing units in the browser: names, parent, in use or not — the same rules as org sync."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import audit, organisation_sync
from engine.accounts import check_display_name
from engine.errors import FieldError, InvalidInput, NotFound
from engine.models import Department, Membership, UnitKind
from engine.organisation_data import MAX_DEPTH
from engine.user_admin import Operator, require_admin

MAX_NAME, MAX_SHORT = 100, 50


@dataclass(frozen=True)
class UnitRow:
    """One unit as the tree page lists it."""

    code: str
    name: str
    short_name: str | None
    kind: str
    kind_label: str
    depth: int
    active: bool
    parent_code: str | None
    seats: int


def unit_tree(session: Session) -> list[UnitRow]:
    """Every unit, each after its parent (a depth-first order by path), with its kind's label and seat count."""
    labels = dict(session.execute(select(UnitKind.code, UnitKind.label)).all())
    seats = dict(session.execute(select(Membership.department_id, func.count(Membership.id))
                                 .group_by(Membership.department_id)).all())
    units = session.execute(select(Department).order_by(Department.path, Department.code)).scalars().all()
    codes = {u.id: u.code for u in units}
    return [UnitRow(u.code, u.name, u.short_name, u.kind, labels.get(u.kind, u.kind), max(u.path.count("/") - 2, 0),
                    u.active, codes.get(u.parent_id) if u.parent_id else None, int(seats.get(u.id, 0)))
            for u in units]


def find_unit(session: Session, code: str) -> Department:
    """The unit with ``code``; NotFound otherwise."""
    found = session.execute(select(Department).where(Department.code == code[:64])).scalar_one_or_none()
    if found is None:
        raise NotFound("Unit {code} does not exist.", code=code[:32])
    return found


def update_unit(session: Session, operator: Operator, code: str, *, name: str, short_name: str, parent: str,
                active: bool, now: datetime) -> Department:
    """Rename, move (with its subtree) or (de)activate a unit; InvalidInput per field, nothing changed on error."""
    require_admin(operator)
    unit = find_unit(session, code)
    errors: list[FieldError] = []
    clean_name = _text(name, "name", MAX_NAME, errors, required=True)
    clean_short = _text(short_name, "short_name", MAX_SHORT, errors, required=False)
    parent_unit = None
    if parent:
        parent_unit = session.execute(select(Department).where(Department.code == parent[:64])).scalar_one_or_none()
        if parent_unit is None:
            errors.append(FieldError("parent", "Unit {code} does not exist.", "unknown", {"code": parent[:32]}))
        elif parent_unit.path.startswith(unit.path):
            errors.append(FieldError("parent", "A unit cannot sit under itself or under a unit below it.", "loop"))
        elif parent_unit.path.count("/") - 1 >= MAX_DEPTH:
            errors.append(FieldError("parent", "The tree may be at most {limit} levels deep.", "depth",
                                     {"limit": MAX_DEPTH}))
    if errors:
        raise InvalidInput("The form has errors.", errors)
    before = {"name": unit.name, "short_name": unit.short_name, "parent": _code(session, unit.parent_id),
              "active": unit.active}
    unit.name, unit.short_name, unit.active = clean_name or unit.name, clean_short, active
    unit.parent_id = parent_unit.id if parent_unit is not None else None
    organisation_sync.repath(session)
    after = {"name": unit.name, "short_name": unit.short_name, "parent": parent or None, "active": unit.active}
    if after != before:
        audit.record(session, "unit_changed", at=now, actor_id=getattr(operator, "user_id", None),
                     department_id=unit.id, payload={"unit": unit.code, "before": before, "after": after})
    return unit


def _code(session: Session, unit_id: int | None) -> str | None:
    return session.execute(select(Department.code).where(Department.id == unit_id)).scalar_one_or_none() \
        if unit_id is not None else None


def _text(value: str, field: str, limit: int, errors: list[FieldError], *, required: bool) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            errors.append(FieldError(field, "This field is required.", "required"))
        return None
    if len(text) > limit:
        errors.append(FieldError(field, "At most {limit} characters.", "maxLength", {"limit": limit}))
        return None
    try:
        return check_display_name(text)
    except InvalidInput:
        errors.append(FieldError(field, "Line breaks and control characters are not allowed.", "pattern"))
        return None
