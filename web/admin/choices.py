"""What the user administration forms offer: units grouped by kind, and the labels of kinds and actions."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from engine import seat_rules
from engine.models import Department
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
KIND_LABELS = {"street": _l("Streets"), "town": _l("Townships"), "district_department": _l("District departments"),
               "district_unit": _l("District units")}


def units(session: Session) -> list[tuple[str, list[Department]]]:
    """Units grouped by kind, for the unit drop-downs."""
    groups: dict[str, list[Department]] = {}
    for department, _roles in seat_rules.seat_choices(session):
        groups.setdefault(department.kind.value, []).append(department)
    return [(str(KIND_LABELS.get(kind, kind)), found) for kind, found in groups.items()]
