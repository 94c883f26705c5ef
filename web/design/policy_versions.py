"""Deployed SLA policy versions, for the designers' policy page."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from escalation.models import SlaPolicy


def policy_versions(session: Session) -> list[SlaPolicy]:
    """Every deployed policy version, newest first (by deploy time, then version)."""
    return list(session.execute(
        select(SlaPolicy).order_by(SlaPolicy.deployed_at.desc(), SlaPolicy.process_key, SlaPolicy.version.desc())
    ).scalars())
