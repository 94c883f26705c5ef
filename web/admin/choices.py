"""What the user administration forms offer: units grouped by kind, and the labels of kinds and actions."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import seat_rules
from engine.models import UnitKind
from engine.user_admin import Action

ACTION_LABELS = {
    Action.USER_CREATED: _l("User added"),
    Action.USER_RENAMED: _l("Display name changed"),
    Action.USER_DEACTIVATED: _l("Deactivated"),
    Action.USER_ACTIVATED: _l("Activated"),
    Action.SEAT_ADDED: _l("Seat given"),
    Action.SEAT_REMOVED: _l("Seat taken"),
    Action.PASSWORD_RESET: _l("Password reset"),
    Action.TOKEN_ISSUED: _l("API token issued"),
    Action.TOKEN_REVOKED: _l("API token withdrawn"),
    Action.ACCESS_REVOKED: _l("All tokens and sessions withdrawn"),
}


@dataclass(frozen=True)
class UnitChoice:
    """A unit in a drop-down, with the codes of the roles that may sit there (the page hides the others)."""

    code: str
    name: str
    roles: str


def units(session: Session) -> list[tuple[str, list[UnitChoice]]]:
    """Units grouped by kind, for the unit drop-downs."""
    labels: dict[str, str] = {code: label for code, label in session.execute(select(UnitKind.code, UnitKind.label))}
    groups: dict[str, list[UnitChoice]] = {}
    for department, roles in seat_rules.seat_choices(session):
        groups.setdefault(department.kind, []).append(
            UnitChoice(department.code, department.name, " ".join(r.code for r in roles)))
    return [(labels.get(kind, kind), found) for kind, found in groups.items()]
