"""Which units start cases and which are summoned, as the deployed processes and the role data say.

Pages that list "streets" or "departments" ask here instead of naming unit kinds: the units
that start cases are where the start events' roles sit; the summoned ones are where the roles
of the fan-outs' branches sit (those tasks that are not the starter's own).
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine.models import Department, ProcessDefinition
from engine.roles import role_book

_SESSION_KEY = "whistle.work_kinds"


def _latest_catalogs(session: Session) -> list[dict]:
    newest = (select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version"))
              .group_by(ProcessDefinition.key).subquery())
    return [c or {} for c in session.execute(
        select(ProcessDefinition.catalog).join(newest, (newest.c.key == ProcessDefinition.key)
                                               & (newest.c.version == ProcessDefinition.version))).scalars()]


def _kinds(session: Session) -> tuple[frozenset[str], frozenset[str]]:
    """(kinds that start cases, kinds that are summoned), read once per session."""
    found = session.info.get(_SESSION_KEY)
    if found is None:
        book = role_book(session)
        starting: set[str] = set()
        summoned: set[str] = set()
        for catalog in _latest_catalogs(session):
            start = book.get((catalog.get("start") or {}).get("role"))
            if start is not None:
                starting |= start.unit_kinds
            for fan_out in catalog.get("stages") or []:
                for task in fan_out.get("tasks") or []:
                    role = book.get(task.get("role"))
                    if role is not None and task.get("scope") != fan_out.get("origin_scope"):
                        summoned |= role.unit_kinds
        found = (frozenset(starting), frozenset(summoned))
        session.info[_SESSION_KEY] = found
    return found


def starting_kinds(session: Session) -> frozenset[str]:
    """Unit kinds whose people start the deployed processes (streets and towns for the whistle)."""
    return _kinds(session)[0]


def summoned_kinds(session: Session) -> frozenset[str]:
    """Unit kinds the deployed processes summon (the district departments for the whistle)."""
    return _kinds(session)[1]


def units(session: Session, kinds: Iterable[str], roots: Iterable[str] | None = None) -> list[Department]:
    """Active units of ``kinds`` (in the subtrees whose paths are ``roots``, when given), by code."""
    kinds = sorted(set(kinds))
    if not kinds:
        return []
    query = select(Department).where(Department.kind.in_(kinds), Department.active).order_by(Department.code)
    if roots is not None:
        roots = list(roots)
        if not roots:
            return []
        query = query.where(or_(*(Department.path.startswith(r, autoescape=True) for r in roots)))
    return list(session.execute(query).scalars())
