"""A pack's demo logins (demo.yaml): one per unit of some kinds, and named ones — for trying things out."""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import accounts, yaml_lines
from engine.errors import DefinitionInvalid, Problem
from engine.models import Department, User
from engine.organisation_data import KIND_CODE, ROLE_CODE, UNIT_CODE
from engine.passwords import hash_password
from engine.yaml_lines import LocatedDict

MAX_FILE_BYTES = 128 * 1024
MAX_LOGINS = 5000
MAX_FEATURED = 30  # logins `whistle demo` prints, per file
_SUFFIX = re.compile(r"[a-z][a-z0-9_]{0,15}")


def read(path: Path) -> dict[str, Any]:
    """The parsed demo file; DefinitionInvalid with located problems when it is malformed."""
    name = str(path)
    data = yaml_lines.read_file(path, MAX_FILE_BYTES)
    problems = _check(name, data)
    if problems:
        raise DefinitionInvalid(problems)
    return data


def _check(name: str, data: Any) -> list[Problem]:
    if not isinstance(data, LocatedDict):
        return [Problem(name, 1, None, "the demo file is not a mapping", {})]
    problems: list[Problem] = []

    def problem_at(row: LocatedDict, key: str, template: str, **params: Any) -> None:
        problems.append(Problem(name, row.line_of(key), key, template, params))

    for row in data.get("per_unit") or []:
        if not isinstance(row, LocatedDict):
            problems.append(Problem(name, data.line_of("per_unit"), "per_unit", "each entry must be a mapping", {}))
            continue
        kinds = row.get("kinds")
        if not isinstance(kinds, list) or not kinds or not all(isinstance(k, str) and KIND_CODE.fullmatch(k)
                                                               for k in kinds):
            problem_at(row, "kinds", "kinds must be a list of unit kind codes")
        if not isinstance(row.get("role"), str) or not ROLE_CODE.fullmatch(row["role"]):
            problem_at(row, "role", "role must be a role code")
        if not isinstance(row.get("suffix"), str) or not _SUFFIX.fullmatch(row["suffix"]):
            problem_at(row, "suffix", "suffix must be 1-16 lower-case letters, digits or underscores")
        if not isinstance(row.get("label"), str) or not 0 < len(row["label"]) <= 50:
            problem_at(row, "label", "label must be a text of at most 50 characters")
    featured = data.get("featured")
    if featured is not None and (not isinstance(featured, list) or len(featured) > MAX_FEATURED or not all(
            isinstance(u, str) and re.fullmatch(accounts.USERNAME_PATTERN, u) for u in featured)):
        problems.append(Problem(name, data.line_of("featured"), "featured",
                                "featured must be a list of at most {limit} login names", {"limit": MAX_FEATURED}))
    for row in data.get("logins") or []:
        if not isinstance(row, LocatedDict):
            problems.append(Problem(name, data.line_of("logins"), "logins", "each entry must be a mapping", {}))
            continue
        if not isinstance(row.get("username"), str) or not re.fullmatch(accounts.USERNAME_PATTERN, row["username"]):
            problem_at(row, "username", "username must follow the login name rules")
        if not isinstance(row.get("name"), str) or not 0 < len(row["name"]) <= 100:
            problem_at(row, "name", "name must be a text of at most 100 characters")
        seats = row.get("seats")
        if not isinstance(seats, list) or not all(
                isinstance(s, dict) and isinstance(s.get("unit"), str) and UNIT_CODE.fullmatch(s["unit"])
                and isinstance(s.get("role"), str) and ROLE_CODE.fullmatch(s["role"]) for s in seats):
            problem_at(row, "seats", "seats must be a list of seats, each with a unit code and a role code")
    return problems


def plan(session: Session, data: dict[str, Any]) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(username, display name, seats) of every demo login the file asks for, over the units in the database."""
    found: list[tuple[str, str, list[tuple[str, str]]]] = []
    for row in data.get("per_unit") or []:
        units = session.execute(select(Department).where(Department.kind.in_(row["kinds"]), Department.active)
                                .order_by(Department.id)).scalars()
        for unit in units:
            base = unit.short_name or unit.name
            display = base if base == row["label"] else f"{base}{row['label']}"
            found.append((f"{unit.code}.{row['suffix']}", display, [(unit.code, row["role"])]))
    for row in data.get("logins") or []:
        found.append((row["username"], row["name"], [(s["unit"], s["role"]) for s in row["seats"]]))
    return found[:MAX_LOGINS]


def seed(session: Session, data: dict[str, Any], *, password: str, now: datetime
         ) -> tuple[int, list[tuple[str, str]]]:
    """Add the demo logins that do not exist yet (all with ``password``); (added, every planned login)."""
    planned = plan(session, data)
    existing = set(session.execute(select(User.username)).scalars())
    shared_hash = hash_password(password)  # one scrypt run for every demo login
    added = 0
    for username, display, seats in planned:
        if username in existing:
            continue
        accounts.create_user(session, username, display, password=None, password_hash=shared_hash, now=now,
                             seats=seats)
        existing.add(username)
        added += 1
    return added, [(u, d) for u, d, _ in planned]
