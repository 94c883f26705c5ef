"""Residents' demands (表达诉求): taken in with a tracking code, followed with the code and the phone, rated.

The demand starts the channel's process as its starter account, with only the channel's fields
and its fixed values: the public site cannot set anything else. A resident proves a demand is
theirs with its tracking code and the phone number given with it. What they see of it is only
what :func:`progress` returns: the steps and the units working on them, never a person.

A clerk may take a demand in for a resident who does not go online (线上线下融合): the same start,
with the clerk recorded as the helper and a ``taken_in_for_resident`` entry in the case's history
(the clerk, their unit and how the resident came). :func:`taken_in` is what the clerk prints.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import accounts, audit, definitions, instances, tasks
from engine.actors import Actor, Seat, actor_of
from engine.context import EngineContext
from engine.errors import Conflict, NotFound, Text, Unavailable
from engine.models import Department, HumanTask, ProcessInstance, PublicDemand, TaskEvent, TaskStatus, User
from engine.models.tasks import ACTIVE_STATUSES
from engine.public_channels import PublicChannel
from engine.roles import Capability

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read out on the phone without mistakes
CODE_LENGTH = 10  # about 49 bits: not guessed at the rate limits of the tracking page
ONLINE, COUNTER = "online", "counter"
MAX_REPLY = 2000
TAKEN_IN = "taken_in_for_resident"  # the history entry of a demand a clerk took in for a resident
MAX_HOW = 32
MAX_UNIT_DEPTH = 16  # parents walked up from a helper's unit (the organisation is a few levels deep)


@dataclass(frozen=True)
class Receipt:
    """What a resident takes away: the tracking code and when the demand was taken in."""

    code: str
    instance_id: int
    at: datetime


@dataclass(frozen=True)
class TakenIn:
    """A demand a clerk took in, as the receipt for the resident prints it: never the name, the phone masked."""

    code: str
    at: datetime
    status: str
    how: str | None  # how the resident came, as the clerk's page names it
    unit: str | None  # the clerk's unit
    shown: dict[str, Any]  # the channel's shown fields
    phone: str  # masked: 139****5678


@dataclass(frozen=True)
class TakenInRow:
    """One line of a clerk's list of the demands they took in."""

    code: str
    at: datetime
    status: str
    how: str | None


@dataclass(frozen=True)
class Step:
    """One step of a demand as the resident sees it: its name, the unit on it, when it began and ended."""

    name: str
    unit: str | None
    started: datetime
    finished: datetime | None


@dataclass(frozen=True)
class Progress:
    """A demand's public record."""

    code: str
    status: str
    started: datetime
    finished: datetime | None
    shown: dict[str, Any]
    steps: list[Step]
    reply: str | None
    rating_open: bool


def normalised_phone(value: object) -> str:
    """The digits of a phone number (spaces, dashes and a leading + dropped)."""
    return re.sub(r"\D", "", str(value or ""))[:20]


def masked_phone(value: object) -> str:
    """A phone number fit for paper that may be lost: 139****5678; only the last two digits of a short one."""
    digits = normalised_phone(value)
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    return f"****{digits[-2:]}" if len(digits) >= 5 else "****"


def _digest(code: str, phone: str) -> str:
    return hmac.new(code.encode(), normalised_phone(phone).encode(), hashlib.sha256).hexdigest()


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def submit(session: Session, ctx: EngineContext, channel: PublicChannel, data: Mapping[str, Any], *, now: datetime,
           confirmed: bool = False, helper_id: int | None = None, helper_unit_id: int | None = None,
           how: str | None = None, resident_id: int | None = None) -> Receipt:
    """Start the channel's process with the resident's ``data`` (its fields only, then its fixed values).

    Invalid data raises InvalidInput (per field), a suspected repeat NeedsConfirmation, as for staff.
    With ``helper_id`` a clerk took it in for the resident (from ``helper_unit_id``; ``how`` the
    resident came): the demand and the case's history record it.
    """
    payload = {name: data[name] for name in channel.fields if name in data and data[name] not in (None, "")}
    payload.update(channel.fixed)
    taker = starter(session, ctx, channel)
    case = instances.start(session, ctx, taker, channel.process, payload, now=now, confirmed=confirmed)
    code = _new_code()
    while session.execute(select(PublicDemand.id).where(PublicDemand.code == code)).first() is not None:
        code = _new_code()
    session.add(PublicDemand(instance_id=case.id, code=code, phone_digest=_digest(code, payload.get(channel.phone)),
                             channel=COUNTER if helper_id else ONLINE, helper_id=helper_id,
                             resident_id=None if helper_id else resident_id, created_at=now))
    if helper_id:
        audit.record(session, TAKEN_IN, at=now, instance_id=case.id, actor_id=helper_id,
                     department_id=helper_unit_id, payload={"how": how[:MAX_HOW]} if how else {})
    session.flush()
    return Receipt(code, case.id, now)


def channel_problems(session: Session, ctx: EngineContext, channel: PublicChannel) -> list[Text]:
    """Why the channel's account cannot take demands in now, for operators; [] when it can, and while the
    process is not deployed (the public site offers no form for it then: nothing waits on the account)."""
    if definitions.latest(session, channel.process) is None:
        return []
    user = session.execute(select(User).where(User.username == channel.starter)).scalar_one_or_none()
    if user is None:
        return [Text("The account {account} that takes residents' demands in does not exist: create it "
                     "(whistle user add) with a seat that may start {process}.",
                     {"account": channel.starter, "process": channel.process})]
    if not user.is_active:
        return [Text("The account {account} that takes residents' demands in is disabled: enable it.",
                     {"account": channel.starter})]
    if not instances.starting_seats(session, ctx, actor_of(user), channel.process):
        return [Text("The account {account} that takes residents' demands in holds no seat that may start "
                     "{process}: give it one.", {"account": channel.starter, "process": channel.process})]
    return []


def starter(session: Session, ctx: EngineContext, channel: PublicChannel) -> Actor:
    """The channel's account as an actor; Unavailable, with the reason, when it cannot act for residents."""
    problems = channel_problems(session, ctx, channel)
    if problems:
        raise Unavailable(problems[0].template, **problems[0].params)
    return actor_of(accounts.user_by_name(session, channel.starter))


def counter_seats(session: Session, ctx: EngineContext, actor: Actor, channel: PublicChannel) -> list[Seat]:
    """The seats from which ``actor`` may take demands in for residents: seats that may start the channel's
    process (the rule every start applies) and whose role is granted ``start``; none when it is not deployed."""
    if not any(Capability.START in seat.capabilities for seat in actor.seats):
        return []  # most users: no need to read the process (the main menu asks on every page)
    return [seat for seat in instances.starting_seats(session, ctx, actor, channel.process)
            if Capability.START in seat.capabilities]


def helper_defaults(session: Session, seat: Seat, channel: PublicChannel) -> dict[str, str]:
    """What a helper's own unit answers on the form before they type: each unit field the channel limits to
    some kinds gets the nearest unit of those kinds at or above the seat's (a community worker's street)."""
    found: dict[str, str] = {}
    for name, kinds in channel.unit_kinds.items():
        unit, hops = session.get(Department, seat.department_id), 0
        while unit is not None and unit.kind not in kinds and hops < MAX_UNIT_DEPTH:
            unit, hops = (session.get(Department, unit.parent_id) if unit.parent_id else None), hops + 1
        if unit is not None and unit.kind in kinds and unit.active:
            found[name] = unit.code
    return found


def taken_in(session: Session, channel: PublicChannel, helper_id: int, code: str) -> TakenIn:
    """The receipt of a demand ``helper_id`` took in; NotFound for any other code, whoever took it in."""
    code = code.strip().upper()[:CODE_LENGTH + 4]
    found = session.execute(
        select(PublicDemand, ProcessInstance).join(ProcessInstance, ProcessInstance.id == PublicDemand.instance_id)
        .where(PublicDemand.code == code, PublicDemand.helper_id == helper_id)).first()
    if found is None:
        raise NotFound("You took in no request with this tracking number.")
    demand, case = found
    entry = session.execute(
        select(TaskEvent.payload, Department.name).outerjoin(Department, Department.id == TaskEvent.department_id)
        .where(TaskEvent.instance_id == case.id, TaskEvent.action == TAKEN_IN)
        .order_by(TaskEvent.id).limit(1)).first()
    payload, unit = entry if entry is not None else ({}, None)
    how = payload.get("how") if isinstance(payload, dict) else None
    data = case.case_data if isinstance(case.case_data, dict) else {}
    return TakenIn(demand.code, demand.created_at, case.status.value, how if isinstance(how, str) else None, unit,
                   {name: data[name] for name in channel.shown if name in data}, masked_phone(data.get(channel.phone)))


def taken_in_by(session: Session, helper_id: int, *, limit: int, offset: int = 0) -> tuple[list[TakenInRow], bool]:
    """The demands ``helper_id`` took in, newest first, one page; and whether more follow."""
    rows = session.execute(
        select(PublicDemand.code, PublicDemand.created_at, ProcessInstance.status, TaskEvent.payload)
        .join(ProcessInstance, ProcessInstance.id == PublicDemand.instance_id)
        .outerjoin(TaskEvent, (TaskEvent.instance_id == PublicDemand.instance_id) & (TaskEvent.action == TAKEN_IN))
        .where(PublicDemand.helper_id == helper_id)
        .order_by(PublicDemand.created_at.desc(), PublicDemand.id.desc())
        .limit(limit + 1).offset(offset)).all()
    found = []
    for code, at, status, payload in rows[:limit]:
        how = payload.get("how") if isinstance(payload, dict) else None
        found.append(TakenInRow(code, at, status.value, how if isinstance(how, str) else None))
    return found, len(rows) > limit


def find(session: Session, code: str, phone: str) -> PublicDemand:
    """The demand with this tracking code when ``phone`` is the one given with it; NotFound otherwise."""
    code = code.strip().upper()[:CODE_LENGTH + 4]
    row = session.execute(select(PublicDemand).where(PublicDemand.code == code)).scalar_one_or_none()
    # The same answer for an unknown code and a wrong phone: neither tells a stranger which codes exist.
    if row is None or not hmac.compare_digest(row.phone_digest, _digest(row.code, phone)):
        raise NotFound("No request has this tracking number and phone number.")
    return row


def by_code(session: Session, code: str) -> PublicDemand:
    """The demand of a tracking code the resident already proved; NotFound otherwise."""
    row = session.execute(select(PublicDemand).where(PublicDemand.code == code)).scalar_one_or_none()
    if row is None:
        raise NotFound("No request has this tracking number and phone number.")
    return row


def progress(session: Session, channel: PublicChannel, demand: PublicDemand) -> Progress:
    """What the resident sees: status, the shown fields, each step with its unit, the reply, whether to rate."""
    case = session.get(ProcessInstance, demand.instance_id)
    assert case is not None  # the row cascades with its case
    rows = session.execute(
        select(HumanTask.name, Department.name, HumanTask.created_at, HumanTask.completed_at, HumanTask.status,
               HumanTask.form_key)
        .outerjoin(Department, Department.id == HumanTask.department_id)
        .where(HumanTask.instance_id == case.id, HumanTask.status != TaskStatus.CANCELLED)
        .order_by(HumanTask.created_at, HumanTask.id)).all()
    steps = [Step(name, unit, created, completed) for name, unit, created, completed, _s, _f in rows]
    rating = channel.rating
    rating_open = rating is not None and any(status in ACTIVE_STATUSES and form in rating.forms
                                             for *_x, status, form in rows)
    data = case.case_data if isinstance(case.case_data, dict) else {}
    return Progress(demand.code, case.status.value, case.created_at, case.completed_at,
                    {name: data[name] for name in channel.shown if name in data}, steps,
                    _reply(session, channel, case.id), rating_open)


def _reply(session: Session, channel: PublicChannel, instance_id: int) -> str | None:
    """The unit's latest answer on the reply form, when there is one."""
    if channel.reply_form is None or channel.reply_field is None:
        return None
    payload = session.execute(
        select(TaskEvent.payload).join(HumanTask, HumanTask.id == TaskEvent.task_id)
        .where(TaskEvent.instance_id == instance_id, TaskEvent.action == "completed",
               HumanTask.form_key == channel.reply_form)
        .order_by(TaskEvent.id.desc()).limit(1)).scalar_one_or_none()
    value = ((payload or {}).get("data") or {}).get(channel.reply_field) if isinstance(payload, dict) else None
    return value[:MAX_REPLY] if isinstance(value, str) else None


def rate(session: Session, ctx: EngineContext, channel: PublicChannel, demand: PublicDemand, rating: Any,
         comment: str | None, *, now: datetime, answers: Mapping[str, Any] | None = None) -> None:
    """The resident's rating completes the open rating step (its form's checks apply); Conflict when none is open.

    ``answers`` may hold the channel's other questions (``asks``); anything else in it is ignored."""
    if channel.rating is None:
        raise Conflict("This request takes no rating.")
    task_id = session.execute(
        select(HumanTask.id).where(HumanTask.instance_id == demand.instance_id,
                                   HumanTask.form_key.in_(channel.rating.forms),
                                   HumanTask.status.in_(ACTIVE_STATUSES)).order_by(HumanTask.id).limit(1)
    ).scalar_one_or_none()
    if task_id is None:
        raise Conflict("This request is not waiting for a rating.")
    data: dict[str, Any] = {channel.rating.field: rating, **channel.rating.fixed}
    if comment and channel.rating.comment:
        data[channel.rating.comment] = comment
    given = answers or {}
    data.update({name: given[name] for name in channel.rating.asks if given.get(name) not in (None, "")})
    tasks.complete(session, ctx, starter(session, ctx, channel), task_id, data, now=now)


def start_form(session: Session, ctx: EngineContext, channel: PublicChannel) -> dict[str, Any]:
    """The newest version's start form cut down to the channel's fields, in the channel's order."""
    definition = definitions.get(session, channel.process)
    parts = ctx.parts(session, definition.id)
    schema = parts.form((parts.catalog.get("start") or {}).get("form")) or {}
    properties = schema.get("properties") or {}
    return {**schema, "properties": {n: properties[n] for n in channel.fields if n in properties},
            "required": [n for n in schema.get("required", []) if n in channel.fields]}


def of_resident(session: Session, user_id: int, *, limit: int = 50) -> list[tuple[str, datetime, str]]:
    """The demands a signed-in resident sent, newest first: (tracking code, received, case status)."""
    return [(code, at, status.value) for code, at, status in session.execute(
        select(PublicDemand.code, PublicDemand.created_at, ProcessInstance.status)
        .join(ProcessInstance, ProcessInstance.id == PublicDemand.instance_id)
        .where(PublicDemand.resident_id == user_id).order_by(PublicDemand.id.desc()).limit(limit))]
