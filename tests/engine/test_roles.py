"""Lanes name roles; heads act for the roles below them."""
from __future__ import annotations

import pytest

from engine.roles import Role, Scope, role_for_lane


@pytest.mark.parametrize("lane,role", [
    ("部门处置人员", Role.DEPT_STAFF),
    ("dept_staff", Role.DEPT_STAFF),
    ("  街道指挥中心值班员 ", Role.STREET_OFFICER),
    ("值班员（street_officer）", Role.STREET_OFFICER),
    ("Supervision (supervisor)", Role.SUPERVISOR),
    ("清洁工", None),
    ("", None),
    (None, None),
    ("x (not_a_role)", None),
])
def test_lane_names_map_to_roles(lane: str | None, role: Role | None) -> None:
    assert role_for_lane(lane) == role


def test_scopes_and_heads() -> None:
    assert Role.DEPT_DISPATCHER.scope == Scope.DEPARTMENT
    assert Role.STREET_LEADER.scope == Scope.STREET
    assert Role.DEPT_STAFF.head == Role.DEPT_HEAD
    assert Role.STREET_OFFICER.head == Role.STREET_LEADER
    assert Role.SUPERVISOR.head is None


def test_every_role_has_a_chinese_label_and_a_scope() -> None:
    for role in Role:
        assert role.label and not role.label.isascii()
        assert isinstance(role.scope, Scope)
