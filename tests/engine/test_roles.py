"""Lanes name roles from the organisation data; heads act for the roles below them."""
from __future__ import annotations

import pytest

from tests.organisation import demo_roles


@pytest.mark.parametrize("lane,role", [
    ("部门处置人员", "dept_staff"),
    ("dept_staff", "dept_staff"),
    ("  街道指挥中心值班员 ", "street_officer"),
    ("值班员（street_officer）", "street_officer"),
    ("Supervision (supervisor)", "supervisor"),
    ("清洁工", None),
    ("", None),
    (None, None),
    ("x (not_a_role)", None),
])
def test_lane_names_map_to_roles(lane: str | None, role: str | None) -> None:
    found = demo_roles().for_lane(lane)
    assert (found.code if found else None) == role


def test_heads_come_from_the_data() -> None:
    book = demo_roles()
    assert book.head_of("dept_staff") == "dept_head"
    assert book.head_of("street_officer") == "street_leader"
    assert book.head_of("supervisor") is None
    assert book.headed_by(["dept_head"]) == {"dept_head": frozenset({"dept_dispatcher", "dept_staff"})}


def test_every_role_has_a_chinese_label_and_somewhere_to_sit() -> None:
    for role in demo_roles():
        assert role.label and not role.label.isascii()
        assert role.unit_kinds
