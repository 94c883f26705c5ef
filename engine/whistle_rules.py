"""The whistle practice's start rules: whom a street may summon, and for which of its communities.

These are the practice's business rules, not the engine's: they live here, in one place,
so that they can move into the whistle's practice pack when practices become pure content.
``engine.start_rules`` runs them on every start of the ``whistle`` process, whichever entry
point (page, API, CLI, connector) asked for it.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import catalog
from engine.actors import Actor, Seat
from engine.errors import FieldError
from engine.models import Department, HumanTask, InstanceStatus, ProcessDefinition, ProcessInstance
from engine.models.tasks import ACTIVE_STATUSES
from engine.roles import role_book

PROCESS_KEY = "whistle"
# The message that summons one more department (追加召集部门): sent only by engine.whistle_changes, which checks
# who may and whom; the generic message delivery refuses it, or anyone who sees a case could summon anyone.
ADD_DEPARTMENT_MESSAGE = "whistle_add_department"
RESERVED_MESSAGES = frozenset({ADD_DEPARTMENT_MESSAGE})
# How much of a refused value a message repeats: enough to recognise it, never the whole of a hostile one.
MAX_CHECKED = 100
QUOTED_CODES = 5
QUOTED_LENGTH = 20
# The most recent cases of a street a duplicate check compares (a street blows a few a day, not hundreds).
DUPLICATE_SCAN = 200
_STARTER_KEY = "whistle.starter_role"


def starter_role(session: Session) -> str | None:
    """The role code the newest whistle version's start event asks for (the street's duty officer)."""
    found = session.info.get(_STARTER_KEY, ())
    if found == ():
        catalog_json = session.execute(
            select(ProcessDefinition.catalog).where(ProcessDefinition.key == PROCESS_KEY)
            .order_by(ProcessDefinition.version.desc()).limit(1)).scalar_one_or_none()
        found = ((catalog_json or {}).get("start") or {}).get("role")
        session.info[_STARTER_KEY] = found
    return found


def street_seats(session: Session, actor: Actor, *, starting: bool = False) -> list[Seat]:
    """The actor's seats that blow whistles (or, unless ``starting``, head those who do), one per unit."""
    starter = starter_role(session)
    seen: dict[int, Seat] = {}
    for seat in actor.seats:
        blows = seat.role == starter
        heads = not starting and starter in actor.headed.get(seat.role, ())
        if starter and (blows or heads) and seat.department_id not in seen:
            seen[seat.department_id] = seat
    return list(seen.values())


def communities(session: Session, street_ids: list[int]) -> list[str]:
    """The names of the active units directly under these streets (communities, villages), by code."""
    rows = session.execute(select(Department.parent_id, Department.name)
                           .where(Department.parent_id.in_(street_ids), Department.active)
                           .order_by(Department.code)).all()
    return list(dict.fromkeys(name for street in street_ids for parent, name in rows if parent == street))


def summonable(session: Session) -> list[Department]:
    """The units a street may summon: where the role of the first stage of the whistle's fan-out may sit."""
    kinds = summoned_kinds(session)
    return catalog.departments(session, kinds) if kinds else []


def summoned_kinds(session: Session) -> frozenset[str]:
    """The unit kinds the newest whistle version's branch starts in (from its catalog and the role data)."""
    catalog_json = session.execute(
        select(ProcessDefinition.catalog).where(ProcessDefinition.key == PROCESS_KEY)
        .order_by(ProcessDefinition.version.desc()).limit(1)).scalar_one_or_none()
    fan_outs = (catalog_json or {}).get("stages") or []
    first = next((stage for fan_out in fan_outs for stage in fan_out.get("stages", [])), None)
    role = role_book(session).get(first.get("role")) if first else None
    return role.unit_kinds if role is not None else frozenset()


def check(session: Session, actor: Actor, data: Mapping[str, Any]) -> list[FieldError]:
    """The street's rules on a whistle's start data (the form's own rules are checked by the engine)."""
    errors = []
    departments = data.get("departments")
    # A list longer than the form allows is the schema's to refuse; it is never looked up.
    if isinstance(departments, list) and len(departments) <= MAX_CHECKED:
        # Only district departments: a street or a district unit summoned here would join the case.
        allowed = {d.code for d in summonable(session)}
        wrong = [c for c in departments if isinstance(c, str) and c not in allowed]
        if wrong:  # an unknown code is the schema's to report; here only units that exist but may not be summoned
            existing = set(session.execute(select(Department.code).where(Department.code.in_(wrong))).scalars())
            wrong = [c for c in wrong if c in existing]
        if wrong:
            errors.append(FieldError("departments", "Only district departments can be summoned: {codes}.",
                                     "not_summonable", {"codes": _quoted(wrong)}))
    community = data.get("community")
    if isinstance(community, str):
        known = communities(session, [s.department_id for s in _streets_of(session, actor, data)])
        if known and community not in known:
            errors.append(FieldError("community", "Not one of the allowed values.", "enum"))
    return errors


def duplicates(session: Session, actor: Actor, data: Mapping[str, Any], *, now: datetime,
               days: int) -> list[FieldError]:
    """A warning per case of the same street, category and address blown in the last ``days`` days (not withdrawn).

    Addresses are compared normalised (full-width folded, whitespace and case ignored), so
    "和平里七区 5 号楼" and "和平里七区５号楼" are the same place.
    """
    category, address = data.get("category"), data.get("address")
    streets = [s.department_id for s in _streets_of(session, actor, data)]
    if days <= 0 or not isinstance(category, str) or not isinstance(address, str) or not streets:
        return []
    wanted = same_address(address)
    rows = session.execute(
        select(ProcessInstance.id, ProcessInstance.title, ProcessInstance.created_at, ProcessInstance.case_data)
        .where(ProcessInstance.process_key == PROCESS_KEY, ProcessInstance.origin_department_id.in_(streets),
               ProcessInstance.created_at >= now - timedelta(days=days),
               ProcessInstance.status != InstanceStatus.CANCELLED)
        .order_by(ProcessInstance.created_at.desc(), ProcessInstance.id.desc()).limit(DUPLICATE_SCAN)
    ).all()
    return [FieldError("address", "Suspected duplicate: case {id} ({title}) was blown for the same category and "
                                  "address within the last {days} days.", "suspected_duplicate",
                       {"id": r.id, "title": r.title, "days": days, "at": r.created_at})
            for r in rows if _same_case(r.case_data, category, wanted)]


def same_address(text: str) -> str:
    """An address as compared for duplicates: NFKC (full-width to half-width), no whitespace, case folded."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _same_case(case_data: Mapping[str, Any] | None, category: str, address: str) -> bool:
    data = case_data or {}
    other = data.get("address")
    return data.get("category") == category and isinstance(other, str) and same_address(other) == address


def _streets_of(session: Session, actor: Actor, data: Mapping[str, Any]) -> list[Seat]:
    """The street the whistle is blown for (the chosen one), else every street the actor is officer of."""
    seats = street_seats(session, actor, starting=True)
    chosen = data.get("street")
    picked = [s for s in seats if s.department_code == chosen]
    return picked or seats


def _quoted(codes: list[str]) -> str:
    """A few of the refused codes, each cut short, for a message."""
    shown = [c if len(c) <= QUOTED_LENGTH else c[:QUOTED_LENGTH] + "…" for c in codes[:QUOTED_CODES]]
    return "、".join(shown) + ("…" if len(codes) > QUOTED_CODES else "")


def summon_errors(session: Session, instance_id: int, code: Any, field: str) -> list[FieldError]:
    """Why ``code`` may not be summoned to a running whistle now (改派, 追加召集); empty when it may.

    The start's rule holds (district departments only), and a department still working on the
    whistle (any of its steps open, the street's steps about it included) is not summoned twice.
    """
    if not isinstance(code, str) or not code or len(code) > MAX_CHECKED:
        return [FieldError(field, "This field is required.", "required")]
    department = session.execute(select(Department).where(Department.code == code)).scalar_one_or_none()
    if department is None:
        return [FieldError(field, "Unknown department: {code}", "unknown_department", {"code": _quoted([code])})]
    if department.kind not in summoned_kinds(session) or not department.active:
        return [FieldError(field, "Only district departments can be summoned: {codes}.", "not_summonable",
                           {"codes": _quoted([code])})]
    if code in working(session, instance_id):
        return [FieldError(field, "{name} is already working on this whistle.", "already_summoned",
                           {"name": department.name})]
    return []


def working(session: Session, instance_id: int) -> set[str]:
    """The departments (codes) with a step of the whistle still open, by the department each step is about."""
    rows = session.execute(
        select(HumanTask.context, Department.code)
        .outerjoin(Department, Department.id == HumanTask.department_id)
        .where(HumanTask.instance_id == instance_id, HumanTask.status.in_(ACTIVE_STATUSES))
    ).all()
    found = set()
    for context, code in rows:
        about = context.get("department") if isinstance(context, dict) else None
        found.add(about if isinstance(about, str) else code)
    return {c for c in found if c}


def check_task(session: Session, task: HumanTask, data: Mapping[str, Any]) -> list[FieldError]:
    """The whistle's rules on a step's answers: a step that names a ``department`` (改派) summons it anew."""
    if "department" not in data or data.get("resummon") is False:  # 不再召集: a department left in the form is moot
        return []
    refusing = task.context.get("department") if isinstance(task.context, dict) else None
    if data["department"] == refusing:
        return [FieldError("department", "This department has just refused the whistle; choose another.",
                           "just_refused")]
    return summon_errors(session, task.instance_id, data["department"], "department")
