"""Which department a human task belongs to: the lane names a role, the case data names the place."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import InvalidInput
from engine.expressions import Evaluator, ExpressionError
from engine.models import Department
from engine.roles import SCOPE_VARIABLES, Role, Scope


class DepartmentDirectory:
    """Department ids by code (and district units by role).

    Departments are never deleted and never change code, so ids found once may be kept in
    ``known`` for the life of an engine context; codes not found are asked again.
    """

    def __init__(self, session: Session, known: dict[str, int] | None = None,
                 units: dict[Role, int] | None = None) -> None:
        self._session = session
        self._by_code: dict[str, int] = known if known is not None else {}
        self._by_role: dict[Role, int] = units if units is not None else {}

    def id_of(self, code: str) -> int | None:
        """The id of the department with ``code``, or None."""
        found = self._by_code.get(code)
        if found is None:
            found = self._session.execute(select(Department.id).where(Department.code == code)).scalar_one_or_none()
            if found is not None:
                self._by_code[code] = found
        return found

    def unit_for(self, role: Role) -> int | None:
        """The district unit that serves a district-scope role (e.g. 督查室 for supervisors)."""
        found = self._by_role.get(role)
        if found is None:
            found = self._session.execute(
                select(Department.id).where(Department.serves_role == role).order_by(Department.id).limit(1)
            ).scalar_one_or_none()
            if found is not None:
                self._by_role[role] = found
        return found

    def exists(self, code: str) -> bool:
        """Whether a department with ``code`` exists."""
        return self.id_of(code) is not None


def assign(
    element: Mapping[str, Any], data: Mapping[str, Any], directory: DepartmentDirectory, evaluator: Evaluator
) -> tuple[Role | None, int | None]:
    """The role and department for a ready task of ``element`` with task ``data``.

    A ``department`` extension property (an expression) wins; otherwise the role's scope
    says which variable names the department (``street`` or ``department``), and
    district roles go to the unit that serves them.
    """
    role = Role(element["role"]) if element.get("role") else None
    code: Any = None
    expression = (element.get("properties") or {}).get("department")
    if expression:
        try:
            code = evaluator.evaluate(expression, data)
        except ExpressionError as error:
            raise InvalidInput("Task {task}: the department expression failed: {reason}",
                               task=element["name"], reason=error.message) from None
    elif role is not None and role.scope in SCOPE_VARIABLES:
        code = data.get(SCOPE_VARIABLES[role.scope])
    elif role is not None and role.scope == Scope.DISTRICT:
        return role, directory.unit_for(role)
    if code is None:
        if role is None:
            return None, None
        raise InvalidInput(
            "Task {task} needs a {role}, but the case names no department for it (expected the variable {variable}).",
            task=element["name"], role=role.label, variable=SCOPE_VARIABLES.get(role.scope, "department"),
        )
    if not isinstance(code, str) or not directory.exists(code):
        raise InvalidInput("Task {task}: department {code} does not exist.", task=element["name"], code=str(code))
    return role, directory.id_of(code)
