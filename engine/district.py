"""Loading a district (streets, departments, units, categories) and its demo logins from YAML."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import accounts, yaml_lines
from engine.errors import InvalidInput, Text
from engine.models import Category, Department, DepartmentKind, User
from engine.passwords import hash_password
from engine.roles import Role
from engine.yaml_lines import quoted

# District units name the district-scope role whose lanes they serve.
_UNIT_ROLES = {"dispatch": Role.DISPATCH_CENTER, "supervision": Role.SUPERVISOR, "leadership": Role.DISTRICT_LEADER}
# One demo login per role: (username suffix, role, display suffix).
_STREET_LOGINS = [("officer", Role.STREET_OFFICER, "值班员"), ("leader", Role.STREET_LEADER, "分管领导"),
                  ("grid", Role.GRID_WORKER, "网格员")]
_DEPARTMENT_LOGINS = [("dispatcher", Role.DEPT_DISPATCHER, "接哨员"), ("staff", Role.DEPT_STAFF, "处置人员"),
                      ("head", Role.DEPT_HEAD, "负责人")]
_UNIT_LOGINS = {
    Role.DISPATCH_CENTER: [("dispatcher", Role.DISPATCH_CENTER, "派单员")],
    Role.SUPERVISOR: [("supervisor", Role.SUPERVISOR, "督办员")],
    Role.DISTRICT_LEADER: [("leader", Role.DISTRICT_LEADER, "区领导")],
}
_PLATFORM_LOGINS = [("designer", Role.DESIGNER, "流程设计员"), ("admin", Role.ADMIN, "系统管理员")]


@dataclass(frozen=True)
class SeedReport:
    """What a seed run added (existing rows are kept as they are)."""

    departments: int
    categories: int
    users: int
    logins: list[tuple[str, str]]  # (username, display name) of every demo login


def read_district(path: Path) -> dict[str, Any]:
    """Parse a district YAML file; InvalidInput says what is missing."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput("Cannot read the district file {path}: {reason}", path=str(path),
                           reason=quoted(str(error))) from None
    try:
        data = yaml_lines.load(text)
    except yaml_lines.YamlError as error:
        raise InvalidInput("{path}:{line}: {reason}", path=str(path), line=error.line,
                           reason=Text(error.template, error.params)) from None
    if not isinstance(data, dict):
        raise InvalidInput("The district file {path} is not a mapping.", path=str(path))
    for key in ("streets", "departments", "district_units", "categories"):
        if not isinstance(data.get(key), list):
            raise InvalidInput("The district file {path} has no list {key}.", path=str(path), key=key)
    return data


def seed_district(
    session: Session, district: dict[str, Any], *, now: datetime, demo_password: str | None
) -> SeedReport:
    """Add the district's organisation and categories; with a password, one demo login per role."""
    existing = {d.code: d for d in session.execute(select(Department)).scalars()}
    added_departments = 0

    def department(code: str, **fields: Any) -> Department:
        nonlocal added_departments
        found = existing.get(code)
        if found is None:
            found = Department(code=code, **fields)
            session.add(found)
            existing[code] = found
            added_departments += 1
        return found

    for street in district["streets"]:
        kind = DepartmentKind.TOWN if street.get("kind") == "town" else DepartmentKind.STREET
        department(street["code"], name=street["name"], short_name=street["name"], kind=kind,
                   communities=list(street.get("communities", [])), duties=[])
    for dept in district["departments"]:
        department(dept["code"], name=dept["name"], short_name=dept.get("short"),
                   kind=DepartmentKind.DISTRICT_DEPARTMENT, duties=list(dept.get("duties", [])), communities=[])
    for unit in district["district_units"]:
        department(unit["code"], name=unit["name"], short_name=unit["name"], kind=DepartmentKind.DISTRICT_UNIT,
                   serves_role=_UNIT_ROLES.get(unit.get("role", "")), duties=[], communities=[])
    session.flush()
    categories = _seed_categories(session, district["categories"], existing)
    users, logins = 0, []
    if demo_password:
        users, logins = _seed_logins(session, district, existing, demo_password, now)
    return SeedReport(added_departments, categories, users, logins)


def _seed_categories(session: Session, rows: list[dict[str, Any]], departments: dict[str, Department]) -> int:
    known = set(session.execute(select(Category.code)).scalars())
    added = 0
    for row in rows:
        if row["code"] in known:
            continue
        owner = departments.get(row["owner"])
        if owner is None:
            raise InvalidInput("Category {code} names an unknown owner {owner}.", code=row["code"], owner=row["owner"])
        session.add(Category(code=row["code"], name=row["name"], owner_id=owner.id,
                             co_owner_codes=list(row.get("co", [])), time_limit=row.get("limit"),
                             note=row.get("note")))
        added += 1
    session.flush()
    return added


def _seed_logins(
    session: Session, district: dict[str, Any], departments: dict[str, Department], password: str, now: datetime
) -> tuple[int, list[tuple[str, str]]]:
    plan: list[tuple[str, str, list[tuple[Role, str]]]] = []
    for street in district["streets"]:
        for suffix, role, label in _STREET_LOGINS:
            plan.append((f"{street['code']}.{suffix}", f"{street['name']}{label}", [(role, street["code"])]))
    for dept in district["departments"]:
        short = dept.get("short") or dept["name"]
        for suffix, role, label in _DEPARTMENT_LOGINS:
            plan.append((f"{dept['code']}.{suffix}", f"{short}{label}", [(role, dept["code"])]))
    for unit in district["district_units"]:
        role = _UNIT_ROLES.get(unit.get("role", ""))
        logins = _UNIT_LOGINS.get(role, []) if role else _PLATFORM_LOGINS
        for suffix, seat_role, label in logins:
            username = suffix if role is None else f"{unit['code']}.{suffix}"
            display = label if role is None or unit["name"] == label else f"{unit['name']}{label}"
            plan.append((username, display, [(seat_role, unit["code"])]))
    existing = set(session.execute(select(User.username)).scalars())
    shared_hash = hash_password(password)  # one scrypt run for every demo login
    added = 0
    for username, display, seats in plan:
        if username in existing:
            continue
        accounts.create_user(session, username, display, password=None, password_hash=shared_hash, now=now,
                             seats=[(code, role) for role, code in seats])
        added += 1
    return added, [(u, d) for u, d, _ in plan]
