"""Opening, bumping and resolving incidents: the one place a stuck case is written down."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.models import Incident, IncidentStatus

DETAIL_LENGTH = 2000


def raise_incident(
    session: Session,
    *,
    instance_id: int,
    kind: str,
    template: str,
    now: datetime,
    params: Mapping[str, Any] | None = None,
    element_id: str | None = None,
    detail: str | None = None,
    subject: str | None = None,
) -> tuple[Incident, bool]:
    """Open an incident, or count one more occurrence of the same open one; returns (row, opened)."""
    existing = session.execute(
        select(Incident).where(
            Incident.instance_id == instance_id,
            Incident.status == IncidentStatus.OPEN,
            Incident.kind == kind,
            Incident.element_id.is_(None) if element_id is None else Incident.element_id == element_id,
            Incident.subject.is_(None) if subject is None else Incident.subject == subject,
        ).limit(1)
    ).scalar_one_or_none()
    if existing is not None:
        existing.occurrences += 1
        existing.last_seen_at = now
        if detail:
            existing.detail = detail[:DETAIL_LENGTH]
        return existing, False
    incident = Incident(
        instance_id=instance_id, kind=kind, element_id=element_id, template=template,
        params=dict(params or {}), detail=detail[:DETAIL_LENGTH] if detail else None, subject=subject,
        status=IncidentStatus.OPEN, occurrences=1, created_at=now, last_seen_at=now,
    )
    session.add(incident)
    session.flush()
    audit.record(session, "incident_opened", at=now, instance_id=instance_id,
                 payload={"incident": incident.id, "kind": kind, "element": element_id})
    return incident, True


def resolve(
    session: Session,
    instance_id: int,
    *,
    now: datetime,
    resolution: str,
    actor_id: int | None = None,
    kinds: Iterable[str] | None = None,
) -> int:
    """Mark the case's open incidents (of ``kinds``, or all) resolved; returns how many."""
    query = select(Incident).where(Incident.instance_id == instance_id, Incident.status == IncidentStatus.OPEN)
    if kinds is not None:
        query = query.where(Incident.kind.in_(list(kinds)))
    rows = list(session.execute(query).scalars())
    for row in rows:
        row.status = IncidentStatus.RESOLVED
        row.resolved_at = now
        row.resolved_by_id = actor_id
        row.resolution = resolution[:1000]
        audit.record(session, "incident_resolved", at=now, instance_id=instance_id, actor_id=actor_id,
                     payload={"incident": row.id, "kind": row.kind, "resolution": row.resolution})
    return len(rows)


def open_for(session: Session, instance_id: int) -> list[Incident]:
    """The case's open incidents, oldest first."""
    return list(session.execute(
        select(Incident).where(Incident.instance_id == instance_id, Incident.status == IncidentStatus.OPEN)
        .order_by(Incident.id)
    ).scalars())
