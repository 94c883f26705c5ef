"""Who may start a process: the start event's lane role, and the roles its ``also_started_by`` property adds.

The start event's lane names the role that starts a process. A practice where others take requests
in too (a community worker who takes a resident's demand in) names their roles on the start event,
comma-separated, without giving them the lane's role and what comes with it (confidential readers)::

    <camunda:property name="also_started_by" value="community_worker" />

Deploy checks each role is declared and granted ``start``; every decision of who may start (a start,
a merged request, a linked case's offer, the public counter, a colleague's withdrawal) reads
:func:`roles` and :func:`seats`. Only a seat of the lane's role fills the start's unit variable
(``street``): another role's seat is another kind of unit, so its holder starts from their own unit
and the form supplies the variable. For the same reason the whistle's street pages
(``whistle_rules.street_seats``) and the origin filters (``work_units.starting_kinds``) stay the
lane role's: they are about the units that variable names.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from lxml import etree

from engine.actors import Actor, Seat
from engine.bpmn_xml import BPMN_NS, CAMUNDA_NS
from engine.roles import Capability, RoleBook

PROPERTY = "also_started_by"
CATALOG_KEY = "also"  # catalog["start"]["also"]: the added role codes, absent when none are declared
MAX_ROLES = 8  # a handful of roles take requests in; more is a sign of a lane that should change
MAX_VALUE = 600  # characters of the property's value (8 codes of 64, with separators)
MAX_CODE = 64  # a role code's length (organisation data: [a-z][a-z0-9_]{0,63})
_SEPARATORS = re.compile(r"[,，\s]+")


def declared(root: Any, start: Mapping[str, Any], roles: RoleBook,
             problem: Callable[..., None]) -> dict[str, list[str]]:
    """``{"also": codes}`` of the top start event's property ({} without one); bad or misplaced ones are
    reported as ``problem(node, template, **params)``."""
    found: list[str] = []
    for item in root.iter(f"{{{CAMUNDA_NS}}}property"):
        if item.get("name") != PROPERTY:
            continue
        node = _owner(item)
        if node is None or node.get("id") != start.get("element") or etree.QName(node).localname != "startEvent":
            problem(node if node is not None else item, "{property} is read on the process's start event only",
                    property=PROPERTY)
            continue
        found += _codes(node, item.get("value") or "", start.get("role"), roles, problem)
    found = [code for code in dict.fromkeys(found) if code != start.get("role")]  # the lane's role starts anyway
    return {CATALOG_KEY: found} if found else {}


def _codes(node: Any, value: str, lane_role: str | None, roles: RoleBook, problem: Callable[..., None]) -> list[str]:
    """The property's role codes when it is sound; its problems reported on the start event."""
    if not lane_role:  # without a lane role anyone may start: a list here would read as a restriction
        problem(node, "{property} adds to the role of the start event's lane: put the start event in a lane",
                property=PROPERTY)
        return []
    codes = [c for c in _SEPARATORS.split(value) if c]
    if len(value) > MAX_VALUE or not 0 < len(codes) <= MAX_ROLES:
        problem(node, "{property} names 1 to {most} role codes, comma-separated", property=PROPERTY, most=MAX_ROLES)
        return []
    good = []
    for code in codes:
        role = roles.get(code) if len(code) <= MAX_CODE else None
        if role is None:
            problem(node, "{property}: {role} is not a declared role", property=PROPERTY, role=code[:MAX_CODE])
        elif not role.active or Capability.START not in role.capabilities:
            problem(node, "{property}: the role {role} is not granted {capability}", property=PROPERTY,
                    role=code, capability=Capability.START.value)
        else:
            good.append(code)
    return good


def _owner(item: Any) -> Any:
    """The BPMN element whose ``extensionElements/camunda:properties`` hold ``item`` (None elsewhere)."""
    properties = item.getparent()
    extensions = properties.getparent() if properties is not None else None
    if extensions is None or extensions.tag != f"{{{BPMN_NS}}}extensionElements":
        return None
    return extensions.getparent()


def roles(start: Mapping[str, Any]) -> list[str]:
    """The codes of the roles that may start, the lane's first; none when the lane names no role (anyone may)."""
    lane = start.get("role")
    if not lane:
        return []
    return [lane, *(code for code in start.get(CATALOG_KEY) or () if code != lane)]


def seats(actor: Actor, start: Mapping[str, Any]) -> list[Seat]:
    """The actor's seats that may start, the lane role's first; every seat when the lane names no role."""
    wanted = roles(start)
    if not wanted:
        return list(actor.seats)
    return sorted(actor.seats_with(*wanted), key=lambda seat: wanted.index(seat.role))  # stable: by unit within


def may_start(actor: Actor, start: Mapping[str, Any]) -> bool:
    """Whether ``actor`` holds a role that may start (anyone may when the lane names none)."""
    return not roles(start) or bool(actor.seats_with(*roles(start)))


def lane_seats(start: Mapping[str, Any], found: list[Seat]) -> list[Seat]:
    """Of ``found``, the seats of the lane's role: only these fill the start's unit variable."""
    return [seat for seat in found if seat.role == start.get("role")]
