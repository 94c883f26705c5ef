"""Deploying process bundles as versioned definitions, and finding them again."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from engine import audit, decision_checks, spiff
from engine.actors import Actor
from engine.bpmn_xml import MAX_BPMN_BYTES
from engine.context import EngineContext
from engine.errors import Conflict, Forbidden, NotFound, Problem
from engine.forms import MAX_FORM_BYTES
from engine.models import InstanceStatus, ProcessDefinition, ProcessInstance
from engine.organisation_view import OrganisationView
from engine.roles import Capability
from engine.validation import Bundle, ValidatedBundle, validate_bundle


@dataclass(frozen=True)
class DeployResult:
    """The definition a deploy produced or found, whether it is new, and the warnings of its check."""

    definition: ProcessDefinition
    created: bool
    warnings: list[Problem] = field(default_factory=list)


def bundle_from_path(path: Path, forms_dir: Path | None = None) -> Bundle:
    """Read a BPMN file and every form schema beside it (``forms/<key>.json``)."""
    forms_dir = forms_dir or path.parent / "forms"
    forms: dict[str, bytes] = {}
    paths: dict[str, str] = {}
    if forms_dir.is_dir():
        for form in sorted(forms_dir.glob("*.json")):
            forms[form.stem] = _read_at_most(form, MAX_FORM_BYTES)
            paths[form.stem] = str(form)
    decisions_dir = path.parent / decision_checks.DECISIONS_FOLDER
    found = sorted(decisions_dir.glob("*.dmn"))[:decision_checks.MAX_FILES] if decisions_dir.is_dir() else []
    decisions = {str(f): _read_at_most(f, MAX_BPMN_BYTES) for f in found}
    return Bundle(filename=str(path), bpmn=_read_at_most(path, MAX_BPMN_BYTES), forms=forms, form_paths=paths,
                  decisions=decisions)


def _read_at_most(path: Path, limit: int) -> bytes:
    """The file's bytes, but never more than one byte past ``limit`` (enough to refuse it)."""
    with path.open("rb") as file:
        return file.read(limit + 1)


def deploy(
    session: Session, ctx: EngineContext, bundle: Bundle, *, now: datetime, actor_id: int | None = None
) -> DeployResult:
    """Validate and store a bundle: unchanged content is a no-op, changed content is version N+1."""
    if not bundle.fallback_forms:
        bundle.fallback_forms = deployed_forms(session)
    if not bundle.decisions and not bundle.fallback_decisions:
        bundle.fallback_decisions = deployed_decisions(session)
    if bundle.organisation is None:
        bundle.organisation = OrganisationView.read(session)
    checked = validate_bundle(bundle, ctx.evaluator, allow_script_tasks=ctx.allow_script_tasks)
    current = latest(session, checked.key)
    if current is not None and current.bundle_sha256 == checked.bundle_sha256:
        return DeployResult(current, created=False, warnings=checked.warnings)
    definition = _store(checked, version=(current.version + 1) if current else 1, now=now, actor_id=actor_id)
    try:
        with session.begin_nested():
            session.add(definition)
            session.flush()
    except IntegrityError:
        raise Conflict("Process {key} was deployed by someone else at the same time; try again.",
                       key=checked.key) from None
    audit.record(
        session,
        "deployed",
        at=now,
        actor_id=actor_id,
        payload={"key": definition.key, "version": definition.version, "sha256": definition.sha256},
    )
    return DeployResult(definition, created=True, warnings=checked.warnings)


def deployed_forms(session: Session) -> dict[str, object]:
    """Forms of already-deployed versions, so a BPMN re-upload without its forms still deploys."""
    rows = session.execute(select(ProcessDefinition.forms).order_by(ProcessDefinition.id.desc()).limit(50))
    merged: dict[str, object] = {}
    for (forms,) in rows:
        for key, schema in (forms or {}).items():
            merged.setdefault(key, schema)
    return merged


def deployed_decisions(session: Session) -> dict[str, str]:
    """DMN files embedded in the newest deployed versions, by decision id: a BPMN edited in the browser keeps
    deciding with them when it brings no ``decisions/`` of its own."""
    merged: dict[str, str] = {}
    for (spec,) in session.execute(select(ProcessDefinition.spec).order_by(ProcessDefinition.id.desc()).limit(50)):
        for ref, dmn in spiff.embedded_decisions(spec).items():
            merged.setdefault(ref, dmn)
    return merged


def _store(checked: ValidatedBundle, *, version: int, now: datetime, actor_id: int | None) -> ProcessDefinition:
    return ProcessDefinition(
        key=checked.key,
        version=version,
        name=checked.name,
        filename=Path(checked.filename).name,
        sha256=checked.sha256,
        bundle_sha256=checked.bundle_sha256,
        bpmn=checked.bpmn,
        spec=checked.spec_json,
        catalog=checked.catalog,
        forms=checked.forms,
        deployed_at=now,
        deployed_by_id=actor_id,
    )


def latest(session: Session, key: str) -> ProcessDefinition | None:
    """The newest version of ``key``, or None."""
    return session.execute(
        select(ProcessDefinition)
        .where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    ).scalar_one_or_none()


def get(session: Session, key: str, version: int | None = None) -> ProcessDefinition:
    """A specific version of ``key`` (the newest when ``version`` is None); NotFound otherwise."""
    if version is None:
        found = latest(session, key)
    else:
        found = session.execute(
            select(ProcessDefinition).where(ProcessDefinition.key == key, ProcessDefinition.version == version)
        ).scalar_one_or_none()
    if found is None:
        if version is None:
            raise NotFound("Process {key} is not deployed.", key=key)
        raise NotFound("Process {key} version {version} is not deployed.", key=key, version=version)
    return found


def deploy_as(
    session: Session, ctx: EngineContext, actor: Actor, bundle: Bundle, *, now: datetime
) -> DeployResult:
    """Deploy on behalf of a designer or administrator."""
    if not actor.can(Capability.DESIGN, Capability.ADMINISTER):
        raise Forbidden("Only process designers and administrators may deploy processes.")
    return deploy(session, ctx, bundle, now=now, actor_id=actor.user_id)


def list_summaries(session: Session) -> list[tuple[ProcessDefinition, int]]:
    """Every definition version with its running-instance count (BPMN and spec not loaded)."""
    return [(d, n) for d, n in session.execute(summaries()).all()]


def summaries() -> Select[tuple[ProcessDefinition, int]]:
    """Every definition version with its count of running instances, newest first per key."""
    running = (
        select(ProcessInstance.definition_id, func.count().label("running"))
        .where(ProcessInstance.status == InstanceStatus.RUNNING)
        .group_by(ProcessInstance.definition_id)
        .subquery()
    )
    return (
        select(ProcessDefinition, func.coalesce(running.c.running, 0))
        .outerjoin(running, running.c.definition_id == ProcessDefinition.id)
        .options(defer(ProcessDefinition.bpmn), defer(ProcessDefinition.spec), defer(ProcessDefinition.catalog))
        .order_by(ProcessDefinition.key, ProcessDefinition.version.desc())
    )
