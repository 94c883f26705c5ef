"""Which unit a human task belongs to: the lane names a role, an assignment expression names the unit."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import unit_expressions
from engine.errors import InvalidInput
from engine.models import Category, Department
from engine.roles import Role, RoleBook, role_book


class DepartmentDirectory:
    """Unit lookups for one transaction: ids by code, parents, kinds, subtrees, category owners.

    Units are never deleted and never change code, so ids found once may be kept in ``known``
    for the life of an engine context; places in the tree (which may move) are read per directory.
    """

    def __init__(self, session: Session, known: dict[str, int] | None = None) -> None:
        self._session = session
        self._by_code: dict[str, int] = known if known is not None else {}
        self._places: dict[int, tuple[str, str, int | None]] = {}  # id -> (kind, path, parent)

    def id_of(self, code: str) -> int | None:
        """The id of the unit with ``code``, or None."""
        found = self._by_code.get(code)
        if found is None:
            found = self._session.execute(select(Department.id).where(Department.code == code)).scalar_one_or_none()
            if found is not None:
                self._by_code[code] = found
        return found

    def exists(self, code: str) -> bool:
        """Whether a unit with ``code`` exists."""
        return self.id_of(code) is not None

    def _place(self, unit_id: int) -> tuple[str, str, int | None]:
        found = self._places.get(unit_id)
        if found is None:
            row = self._session.execute(select(Department.kind, Department.path, Department.parent_id)
                                        .where(Department.id == unit_id)).one()
            found = (row.kind, row.path, row.parent_id)
            self._places[unit_id] = found
        return found

    def kind_of(self, unit_id: int) -> str:
        """The kind of ``unit_id``."""
        return self._place(unit_id)[0]

    def parent_of(self, unit_id: int) -> int | None:
        """The unit above ``unit_id``."""
        return self._place(unit_id)[2]

    def ancestor_of_kind(self, unit_id: int, kind: str) -> int | None:
        """The nearest unit of ``kind`` from ``unit_id`` upwards, itself first."""
        current: int | None = unit_id
        for _ in range(64):  # the tree is at most 12 deep; a bound in case of a damaged path
            if current is None:
                return None
            place = self._place(current)
            if place[0] == kind:
                return current
            current = place[2]
        return None

    def within_of_kind(self, unit_id: int, kind: str) -> int | None:
        """The active unit of ``kind`` in the subtree of ``unit_id`` (the first by code)."""
        path = self._place(unit_id)[1]
        return self._session.execute(
            select(Department.id).where(Department.kind == kind, Department.active,
                                        Department.path.startswith(path, autoescape=True))
            .order_by(Department.code).limit(1)).scalar_one_or_none()

    def owner_of(self, category: str) -> int | None:
        """The lead owner of the category ``category``."""
        return self._session.execute(select(Category.owner_id).where(Category.code == category)).scalar_one_or_none()

    def only_unit_for(self, role: Role) -> int | None:
        """The single active unit where ``role`` can sit, or None when there are none or several."""
        rows = self._session.execute(select(Department.id).where(Department.kind.in_(sorted(role.unit_kinds)),
                                                                 Department.active).limit(2)).scalars().all()
        return rows[0] if len(rows) == 1 else None


def expression_for(element: Mapping[str, Any], role: Role | None) -> str | None:
    """The assignment expression of a task: its own, its lane's (both in the catalog), else its role's."""
    own = element.get("assign")
    if own:
        return str(own)
    return role.assign if role is not None else None


def assign(
    element: Mapping[str, Any], data: Mapping[str, Any], directory: DepartmentDirectory,
    book: RoleBook | None = None,
) -> tuple[str | None, int | None]:
    """The role code and unit id for a ready task of ``element`` with task ``data``."""
    code = element.get("role")
    if not code:
        return None, None
    role = (book or role_book(directory._session)).get(code)
    expression = expression_for(element, role)
    if expression is None:
        unit = directory.only_unit_for(role) if role is not None else None
        if unit is None:
            raise InvalidInput("Task {task} needs a {role}, but no assignment expression says which unit.",
                               task=element["name"], role=role.label if role else code)
        return code, unit
    try:
        unit = unit_expressions.evaluate(unit_expressions.parse(expression), data, directory)
    except (unit_expressions.ExpressionInvalid, unit_expressions.NoUnit) as error:
        raise InvalidInput("Task {task}: the assignment {expression} found no unit: {reason}",
                           task=element["name"], expression=expression, reason=str(error)) from None
    # A unit where the role cannot sit would hold a task nobody may take: refuse the step instead.
    if role is not None and role.unit_kinds and directory.kind_of(unit) not in role.unit_kinds:
        raise InvalidInput("Task {task}: the assignment {expression} found a unit of kind {kind}, where no {role} "
                           "can sit.", task=element["name"], expression=expression, kind=directory.kind_of(unit),
                           role=role.label)
    return code, unit
