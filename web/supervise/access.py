"""Who may open the supervision pages, and which units each reader covers (their overseen subtrees)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask import abort, g
from sqlalchemy.orm import Session

from engine import work_units
from engine.models import Department
from escalation.supervision import covered_units, covers_everything, scope_departments
from web import permissions
from web.auth.session import allowed, current_actor
from web.db import read_session

supervision_page = allowed(permissions.supervises)


@dataclass(frozen=True)
class Covered:
    """A unit a reader covers, as the pages need it (plain values: they outlive the session that read them)."""

    code: str
    name: str
    kind: str
    id: int = 0


def _covered() -> list[Covered]:
    """The units the current reader covers, read once per request."""
    if "covered_units" not in g:
        found = covered_units(read_session(), current_actor())
        g.covered_units = [Covered(d.code, d.name, d.kind, d.id) for d in found]
    return g.covered_units


def scope(requested: str | None) -> list[str]:
    """The unit codes a query of the current reader may cover."""
    return scope_departments((d.code for d in _covered()), requested or None)


def reach(covered: Sequence[Covered | Department] | None = None) -> list[str] | None:
    """The unit codes a ranking is limited to (the page's reader, or ``covered``); None when that is every unit."""
    covered = _covered() if covered is None else covered
    return None if covers_everything(read_session(), covered) else [d.code for d in covered]


def reach_ids() -> list[int] | None:
    """The ids of the units the reader covers; None for a reader who covers every unit."""
    covered = _covered()
    return None if covers_everything(read_session(), covered) else [c.id for c in covered]


def department_choices(session: Session) -> list[tuple[str, str]]:
    """(code, name) of the summoned units the reader covers, for filters and the scoreboard."""
    kinds = work_units.summoned_kinds(session)
    return [(d.code, d.name) for d in _covered() if d.kind in kinds]


def scored_departments(session: Session) -> list[str]:
    """The summoned units on the reader's scoreboard."""
    return [code for code, _ in department_choices(session)]


def street_choices(session: Session) -> list[tuple[str, str]]:
    """(code, name) of the units that start cases within the reader's reach."""
    kinds = work_units.starting_kinds(session)
    if not current_actor().supervises:  # a head filters its own unit's work by any street it came from
        return [(d.code, d.name) for d in work_units.units(session, kinds)]
    return [(d.code, d.name) for d in _covered() if d.kind in kinds]


def require_department(code: str) -> None:
    """404 unless the reader covers unit ``code`` (others may not learn what it holds)."""
    if scope(code) == []:
        abort(404)
