"""assign(): the unit an expression finds must be one where the task's role can sit."""
from __future__ import annotations

import pytest

from engine.assignment import DepartmentDirectory, assign
from engine.database import Database
from engine.errors import InvalidInput


def test_a_unit_of_the_wrong_kind_is_refused_and_the_right_one_is_found(db: Database) -> None:
    element = {"name": "处置", "role": "dept_staff", "assign": "department"}
    with db.transaction(write=False) as session:
        directory = DepartmentDirectory(session)
        role, unit = assign(element, {"department": "CGW"}, directory)
        assert (role, unit) == ("dept_staff", directory.id_of("CGW"))
        with pytest.raises(InvalidInput) as refused:  # a street: no 部门处置人员 sits there
            assign(element, {"department": "HP"}, directory)
        assert refused.value.params["kind"] == "street" and refused.value.params["role"] == "部门处置人员"
        with pytest.raises(InvalidInput):  # no such unit at all
            assign(element, {"department": "NOPE"}, directory)
