"""Whose each file of a whistle is: the street's own photos or a department's evidence (by the uploader's unit)."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import Attachment, Department, Membership


def uploader_units(session: Session, attachments: Iterable[Attachment], street: str,
                   departments: dict[str, str]) -> dict[int, str]:
    """The unit name each attachment came from: the whistle's street, else a summoned department it belongs to.

    ``street`` is the street's code, ``departments`` the summoned departments' names by code.
    A file whose uploader sits in neither (an administrator, say) gets no label.
    """
    items = list(attachments)
    uploaders = {a.uploaded_by_id for a in items}
    if not uploaders:
        return {}
    units: dict[int, dict[str, str]] = {}
    for user_id, code, name in session.execute(
            select(Membership.user_id, Department.code, Department.name)
            .join(Department, Department.id == Membership.department_id)
            .where(Membership.user_id.in_(uploaders))):
        units.setdefault(user_id, {})[code] = name
    found: dict[int, str] = {}
    for a in items:
        mine = units.get(a.uploaded_by_id, {})
        if street in mine:  # the street's own people: a street officer never also sits in a department
            found[a.id] = mine[street]
        else:
            code = next((c for c in departments if c in mine), None)
            if code is not None:
                found[a.id] = departments[code]
    return found
