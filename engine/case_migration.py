"""Migrating running cases from one version of a process to another, with a dry run first.

A case maps when every element where it stands (a waiting task, a running called process, a
dead end) has an element of the same id in the target version, and every step it has done
still has a counterpart there (its stored history names them). The dry run lists that per
case; the migration moves the cases that map, each in its own savepoint, and leaves the
others on their version with the reason. Human tasks keep their rows (and so their
deadlines) wherever their element maps; waiting BPMN timers keep their due instants.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import audit, definitions, instances
from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound, WhistleError
from engine.models import InstanceStatus, ProcessDefinition, ProcessInstance
from engine.repair import checked_reason, may_repair, may_see_repairs, resolve_if_moving
from engine.spiff import EngineRunError, WorkflowRun, surgery
from engine.spiff.surgery import ElementMap

log = logging.getLogger(__name__)

MAX_CASES = 500  # one dry run or batch; the rest wait for the next one
MOVABLE = (InstanceStatus.RUNNING, InstanceStatus.SUSPENDED)


@dataclass(frozen=True)
class CasePlan:
    """What migrating one case would do, or why it cannot."""

    instance_id: int
    title: str
    status: str
    elements: list[ElementMap]
    missing_processes: list[str] = field(default_factory=list)
    problem: str | None = None  # the case could not be read or moved (English, for the log and API)

    @property
    def possible(self) -> bool:
        """Every element where the case stands maps, and nothing else is wrong."""
        return self.problem is None and not self.missing_processes and all(e.maps for e in self.elements)


@dataclass
class MigrationReport:
    """A dry run or a migration of one process's cases between two versions."""

    key: str
    from_version: int
    to_version: int
    plans: list[CasePlan]
    migrated: list[int] = field(default_factory=list)
    applied: bool = False
    more: bool = False  # more cases wait than one batch takes

    @property
    def left(self) -> list[CasePlan]:
        """The cases that stay on their version."""
        done = set(self.migrated)
        return [p for p in self.plans if p.instance_id not in done]


def _versions(session: Session, key: str, from_version: int, to_version: int) -> tuple[ProcessDefinition,
                                                                                        ProcessDefinition]:
    if from_version == to_version:
        raise InvalidInput("The form has errors.", [
            FieldError("to_version", "Choose a version other than the one the cases run on.", "invalid")])
    return definitions.get(session, key, from_version), definitions.get(session, key, to_version)


def _cases(session: Session, definition_id: int, only: list[int] | None) -> tuple[list[ProcessInstance], bool]:
    query = select(ProcessInstance).where(ProcessInstance.definition_id == definition_id,
                                          ProcessInstance.status.in_(MOVABLE))
    if only is not None:
        query = query.where(ProcessInstance.id.in_(only[:MAX_CASES]))
    rows = list(session.execute(query.order_by(ProcessInstance.id).limit(MAX_CASES + 1)).scalars())
    return rows[:MAX_CASES], len(rows) > MAX_CASES


def _plan(session: Session, ctx: EngineContext, instance: ProcessInstance, target: ProcessDefinition,
          now: datetime | None = None) -> CasePlan:
    """The plan of one case; with ``now``, a mappable case is also migrated on a copy and reloaded (the proof)."""
    try:
        run = WorkflowRun.load(ctx.spec_objects(session, instance.definition_id), instance.state,
                               ctx.evaluator, ctx.allow_script_tasks)
        target_specs = ctx.spec_objects(session, target.id)
        plan = surgery.plan_migration(run, target_specs)
        if plan.possible and now is not None:
            surgery.migrate(run, target_specs, now)
            WorkflowRun.load(target_specs, run.dump(), ctx.evaluator, ctx.allow_script_tasks)
    except Exception as error:  # a case that cannot be read or carried over is listed, never a 500
        log.exception("case %s could not be planned for migration", instance.id)
        return CasePlan(instance.id, instance.title, instance.status.value, [],
                        problem=f"{type(error).__name__}: {error}"[:300])
    return CasePlan(instance.id, instance.title, instance.status.value, plan.elements, plan.missing_processes)


def dry_run(session: Session, ctx: EngineContext, actor: Actor, key: str, from_version: int, to_version: int,
            *, now: datetime, only: list[int] | None = None) -> MigrationReport:
    """Per running case of ``key`` version ``from_version``: what maps onto ``to_version`` and what does not.

    Each case that maps is migrated on a copy in memory and reloaded on the target, so a case the
    dry run lists as mappable is one the migration moves (nothing is written).
    """
    if not may_see_repairs(actor):
        raise Forbidden("Only designers and administrators may plan a migration.")
    source, target = _versions(session, key, from_version, to_version)
    rows, more = _cases(session, source.id, only)
    plans = [_plan(session, ctx, row, target, now) for row in rows]
    return MigrationReport(source.key, source.version, target.version, plans, more=more)


def migrate(session: Session, ctx: EngineContext, actor: Actor, key: str, from_version: int, to_version: int,
            reason: object, *, now: datetime, only: list[int] | None = None) -> MigrationReport:
    """Move every case that maps onto ``to_version`` (each in its own savepoint); list those left behind."""
    if not may_repair(actor):
        raise Forbidden("Only administrators may migrate cases.")
    text = checked_reason(reason)
    source, target = _versions(session, key, from_version, to_version)
    rows, more = _cases(session, source.id, only)
    report = MigrationReport(source.key, source.version, target.version, [], applied=True, more=more)
    for row in rows:
        instance_id = row.id
        try:
            with session.begin_nested():
                plan = _migrate_one(session, ctx, actor, instance_id, source, target, text, now)
            report.migrated.append(instance_id)
        except _Unmapped as unmapped:
            plan = unmapped.plan
        except (WhistleError, EngineRunError) as error:
            plan = CasePlan(instance_id, row.title, row.status.value, [], problem=str(error)[:300])
        except Exception as error:  # one broken case must not stop the batch
            log.exception("case %s could not be migrated", instance_id)
            plan = CasePlan(instance_id, row.title, row.status.value, [],
                            problem=f"{type(error).__name__}: {error}"[:300])
        report.plans.append(plan)
    session.flush()
    return report


class _Unmapped(Exception):
    def __init__(self, plan: CasePlan) -> None:
        super().__init__(f"case {plan.instance_id} does not map")
        self.plan = plan


def _migrate_one(session: Session, ctx: EngineContext, actor: Actor, instance_id: int, source: ProcessDefinition,
                 target: ProcessDefinition, reason: str, now: datetime) -> CasePlan:
    instance = instances.lock(session, instance_id)
    if instance.definition_id != source.id or instance.status not in MOVABLE:
        raise Conflict("Case {id} is no longer a running case of version {version}.",
                       id=instance_id, version=source.version)
    plan = _plan(session, ctx, instance, target)
    if not plan.possible:
        raise _Unmapped(plan)
    run = WorkflowRun.load(ctx.spec_objects(session, source.id), instance.state, ctx.evaluator,
                           ctx.allow_script_tasks)
    target_specs = ctx.spec_objects(session, target.id)
    surgery.migrate(run, target_specs, now)
    # Proof before anything is stored: the migrated state loads on the target version.
    WorkflowRun.load(target_specs, run.dump(), ctx.evaluator, ctx.allow_script_tasks)
    instance.definition_id = target.id
    mutation = instances.Mutation(instance, ctx.parts(session, target.id), run, ctx.directory(session))
    instances.save(session, ctx, mutation, now)
    audit.record(session, "instance_migrated", at=now, instance_id=instance_id, actor_id=actor.user_id,
                 payload={"reason": reason, "process": source.key, "from_version": source.version,
                          "to_version": target.version,
                          "elements": [f"{e.process_id}:{e.element_id}" for e in plan.elements]})
    resolve_if_moving(session, instance, run, now, f"migrated to version {target.version}: {reason}",
                      actor.user_id)
    return plan


def versions_with_cases(session: Session, actor: Actor, key: str) -> list[tuple[int, int]]:
    """(version, running or suspended cases) for every version of ``key``, oldest first."""
    if not may_see_repairs(actor):
        raise NotFound("Process {key} is not deployed.", key=key)
    rows = session.execute(
        select(ProcessDefinition.version, func.count(ProcessInstance.id))
        .outerjoin(ProcessInstance, (ProcessInstance.definition_id == ProcessDefinition.id)
                   & ProcessInstance.status.in_(MOVABLE))
        .where(ProcessDefinition.key == key)
        .group_by(ProcessDefinition.version).order_by(ProcessDefinition.version)
    ).all()
    return [(v, n) for v, n in rows]
