"""议事协商 (民主决策): proposals residents of a community comment on and vote on while a BPMN timer runs.

A pack's ``consultation.yaml`` names the process and what the public may read of it::

    process: yishi
    resident_role: resident              # signing up gives this seat in the chosen community
    community_kinds: [community, village]
    community_field: community           # the case field holding the proposal's community
    title_field: title                   # case fields shown publicly
    body_field: content
    window: Timer_comment                # while the case waits at this element, comments and votes are open
    choices: [{value: support, label: 赞成, label_en: Support}, …]
    decided_on: {form: yishi_decision, fields: [outcome, reasons]}
    progress_on: {form: yishi_progress, field: note}

One vote per verified resident of the proposal's community, counted publicly as totals; comments
are shown without their authors. The window closes when the timer fires (the worker's sweep).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import yaml_lines
from engine.context import EngineContext
from engine.errors import Conflict, DefinitionInvalid, FieldError, Forbidden, InvalidInput, NotFound
from engine.models import (
    ConsultationComment,
    ConsultationVote,
    Department,
    HumanTask,
    InstanceStatus,
    ProcessInstance,
    TaskEvent,
    User,
)
from engine.residents import community_of
from engine.spiff import WorkflowRun
from engine.yaml_lines import LocatedDict

FILE = "consultation.yaml"
MAX_FILE_BYTES = 64 * 1024
MAX_COMMENT = 500
MAX_LIST = 50
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
KEY = re.compile(r"[A-Za-z0-9_.-]{1,128}")
_KEYS = ("process", "resident_role", "community_kinds", "community_field", "title_field", "body_field", "window",
         "choices", "decided_on", "progress_on")


@dataclass(frozen=True)
class Choice:
    """A way to vote, with its labels."""

    value: str
    label: str
    label_en: str


@dataclass(frozen=True)
class Consultation:
    """What residents may do with one process's proposals, and what the public may read of them."""

    process: str
    resident_role: str
    community_kinds: tuple[str, ...]
    community: str
    title: str
    body: str
    window: str
    choices: tuple[Choice, ...]
    decision_form: str
    decision_fields: tuple[str, ...]
    progress_form: str | None
    progress_field: str | None


@dataclass(frozen=True)
class Proposal:
    """A proposal as the public reads it: no author, no voter, no commenter."""

    id: int
    title: str
    body: str
    community: str
    community_name: str
    started: datetime
    status: str
    open: bool  # comments and votes accepted now
    closes_at: datetime | None
    tally: dict[str, int]
    comments: list[tuple[datetime, str]]
    decision: dict[str, Any]
    progress: list[tuple[datetime, str]]


def read(path: Path) -> Consultation:
    """The consultation a ``consultation.yaml`` declares; DefinitionInvalid with located problems otherwise."""
    found = yaml_lines.read_settings(path, MAX_FILE_BYTES, _KEYS)
    data, problems, say = found.data, found.problems, found.say
    texts = {}
    for key in ("process", "resident_role", "community_field", "title_field", "body_field", "window"):
        value = data.get(key)
        if not isinstance(value, str) or not KEY.fullmatch(value):
            say(key, "{key} must be a name (letters, digits, _ . -)", key=key)
        texts[key] = str(value)
    kinds = data.get("community_kinds")
    if not isinstance(kinds, list) or not 1 <= len(kinds) <= 10 or not all(
            isinstance(k, str) and KEY.fullmatch(k) for k in kinds):
        say("community_kinds", "community_kinds must list the unit kinds residents live in")
        kinds = []
    choices = _choices(data, say)
    decision, progress = data.get("decided_on"), data.get("progress_on")
    if not isinstance(decision, Mapping) or not isinstance(decision.get("form"), str) or not isinstance(
            decision.get("fields"), list) or not all(isinstance(f, str) and NAME.fullmatch(f)
                                                     for f in decision["fields"][:20]):
        say("decided_on", "decided_on must name the committee's form and the fields shown ({form: …, fields: […]})")
        decision = {"form": "", "fields": []}
    if progress is not None and not (isinstance(progress, Mapping) and isinstance(progress.get("form"), str)
                                     and isinstance(progress.get("field"), str)):
        say("progress_on", "progress_on must name the form and field of each public progress note")
        progress = None
    if problems:
        raise DefinitionInvalid(problems)
    return Consultation(texts["process"], texts["resident_role"], tuple(kinds), texts["community_field"],
                        texts["title_field"], texts["body_field"], texts["window"], choices, str(decision["form"]),
                        tuple(decision["fields"][:20]), progress["form"] if progress else None,
                        progress["field"] if progress else None)


def _choices(data: LocatedDict, say: Any) -> tuple[Choice, ...]:
    raw = data.get("choices")
    found = []
    if isinstance(raw, list) and 2 <= len(raw) <= 6:
        for item in raw:
            if isinstance(item, Mapping) and isinstance(item.get("value"), str) and NAME.fullmatch(item["value"]) \
                    and isinstance(item.get("label"), str) and 0 < len(item["label"]) <= 20:
                found.append(Choice(item["value"], item["label"], str(item.get("label_en") or item["value"])[:40]))
    if len(found) != (len(raw) if isinstance(raw, list) else -1) or len({c.value for c in found}) != len(found):
        say("choices", "choices must list 2 to 6 ways to vote, each with a value and a label of at most 20 characters")
        return ()
    return tuple(found)


def consultations(processes_dir: Path) -> list[Consultation]:
    """Every pack's consultation in a processes folder."""
    return [read(path) for path in sorted(processes_dir.glob(f"*/{FILE}"))[:100]]


def _window_open(session: Session, ctx: EngineContext, cfg: Consultation, case: ProcessInstance) -> bool:
    """Whether the case waits at the consultation's window element now."""
    if case.status != InstanceStatus.RUNNING:
        return False
    run = WorkflowRun.load(ctx.spec_objects(session, case.definition_id), case.state, ctx.evaluator,
                           ctx.allow_script_tasks)
    return run.element_states().get(cfg.window, {}).get("active", 0) > 0


def proposals(session: Session, cfg: Consultation) -> list[tuple[int, str, str, datetime, str]]:
    """The newest proposals: (id, title, community name, started, status)."""
    rows = session.execute(select(ProcessInstance.id, ProcessInstance.case_data, ProcessInstance.created_at,
                                  ProcessInstance.status)
                           .where(ProcessInstance.process_key == cfg.process,
                                  ProcessInstance.status != InstanceStatus.CANCELLED)
                           .order_by(ProcessInstance.id.desc()).limit(MAX_LIST)).all()
    names = _unit_names(session, [str((d or {}).get(cfg.community, "")) for _i, d, _c, _s in rows])
    return [(i, str((d or {}).get(cfg.title, ""))[:200], names.get(str((d or {}).get(cfg.community, "")), ""), c,
             s.value) for i, d, c, s in rows]


def proposal(session: Session, ctx: EngineContext, cfg: Consultation, instance_id: int) -> Proposal:
    """One proposal as the public reads it; NotFound for any other case."""
    case = _case(session, cfg, instance_id)
    data = case.case_data if isinstance(case.case_data, dict) else {}
    community = str(data.get(cfg.community, ""))
    tally = dict.fromkeys((c.value for c in cfg.choices), 0)
    for choice, count in session.execute(select(ConsultationVote.choice, func.count()).where(
            ConsultationVote.instance_id == case.id).group_by(ConsultationVote.choice)):
        if choice in tally:
            tally[choice] = int(count)
    comments = [(at, body) for at, body in session.execute(
        select(ConsultationComment.created_at, ConsultationComment.body)
        .where(ConsultationComment.instance_id == case.id).order_by(ConsultationComment.id).limit(500))]
    open_now = _window_open(session, ctx, cfg, case)
    decisions = _answers(session, case.id, cfg.decision_form, cfg.decision_fields)
    notes = _answers(session, case.id, cfg.progress_form, (cfg.progress_field,)) if cfg.progress_field else []
    return Proposal(case.id, str(data.get(cfg.title, ""))[:200], str(data.get(cfg.body, ""))[:5000], community,
                    _unit_names(session, [community]).get(community, ""), case.created_at, case.status.value,
                    open_now, case.next_timer_at if open_now else None, tally, comments,
                    decisions[-1][1] if decisions else {},
                    [(at, str(values.get(cfg.progress_field or "", ""))) for at, values in notes])


def vote(session: Session, ctx: EngineContext, cfg: Consultation, user_id: int, instance_id: int, choice: str,
         *, now: datetime) -> None:
    """One resident's vote: Forbidden outside the proposal's community, Conflict when closed or cast already."""
    case = _admitted(session, ctx, cfg, user_id, instance_id)
    if choice not in {c.value for c in cfg.choices}:
        raise InvalidInput("Choose how you vote.", [FieldError("choice", "Choose how you vote.", "enum")])
    try:
        with session.begin_nested():
            session.add(ConsultationVote(instance_id=case.id, user_id=user_id, choice=choice, cast_at=now))
    except IntegrityError:  # the unique (case, resident) row: the first vote stands
        raise Conflict("You have already voted on this proposal.") from None


def comment(session: Session, ctx: EngineContext, cfg: Consultation, user_id: int, instance_id: int, body: str,
            *, now: datetime) -> None:
    """A resident's comment during the comment period (1 to 500 characters)."""
    case = _admitted(session, ctx, cfg, user_id, instance_id)
    text = body.strip()
    if not 1 <= len(text) <= MAX_COMMENT or "\x00" in text:
        raise InvalidInput("A comment is 1 to 500 characters.",
                           [FieldError("body", "A comment is 1 to 500 characters.", "maxLength")])
    session.add(ConsultationComment(instance_id=case.id, user_id=user_id, body=text, created_at=now))
    session.flush()


def voted(session: Session, user_id: int, instance_id: int) -> str | None:
    """How this resident voted on the proposal, when they did (shown to them only)."""
    return session.execute(select(ConsultationVote.choice).where(
        ConsultationVote.instance_id == instance_id, ConsultationVote.user_id == user_id)).scalar_one_or_none()


def _admitted(session: Session, ctx: EngineContext, cfg: Consultation, user_id: int,
              instance_id: int) -> ProcessInstance:
    case = _case(session, cfg, instance_id)
    user = session.get(User, user_id)
    home = community_of(session, user_id, cfg.resident_role) if user is not None and user.is_active else None
    data = case.case_data if isinstance(case.case_data, dict) else {}
    unit = session.execute(select(Department.id).where(
        Department.code == str(data.get(cfg.community, "")))).scalar_one_or_none()
    if home is None or home != unit:
        raise Forbidden("Only verified residents of this community may take part.")
    if not _window_open(session, ctx, cfg, case):
        raise Conflict("The comment period of this proposal is over.")
    return case


def _case(session: Session, cfg: Consultation, instance_id: int) -> ProcessInstance:
    case = session.get(ProcessInstance, instance_id)
    if case is None or case.process_key != cfg.process or case.status == InstanceStatus.CANCELLED:
        raise NotFound("Proposal {id} not found.", id=instance_id)
    return case


def _answers(session: Session, instance_id: int, form: str | None,
             fields: tuple[str | None, ...]) -> list[tuple[datetime, dict[str, Any]]]:
    """The named fields of each completion of ``form`` on the case, oldest first."""
    if form is None:
        return []
    rows = session.execute(select(TaskEvent.at, TaskEvent.payload).join(HumanTask, HumanTask.id == TaskEvent.task_id)
                           .where(TaskEvent.instance_id == instance_id, TaskEvent.action == "completed",
                                  HumanTask.form_key == form).order_by(TaskEvent.id).limit(200))
    found = []
    for at, payload in rows:
        data = ((payload or {}).get("data") or {}) if isinstance(payload, dict) else {}
        found.append((at, {f: data[f] for f in fields if f and f in data and isinstance(data[f], str | int | bool)}))
    return found


def _unit_names(session: Session, codes: list[str]) -> dict[str, str]:
    wanted = sorted({c for c in codes if c})
    if not wanted:
        return {}
    return dict(session.execute(select(Department.code, Department.name).where(Department.code.in_(wanted))).all())
