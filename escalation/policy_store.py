"""Deploying policy files: checked with located problems, versioned by content."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import DefinitionInvalid, Problem
from engine.roles import role_book
from escalation.models import SlaPolicy
from escalation.policies import Policy, Target, read_policy


@dataclass(frozen=True)
class PolicyDeployResult:
    """The stored version and whether this deploy created it."""

    policy: SlaPolicy
    created: bool


def check_policy_file(path: Path) -> Policy:
    """Read and check a policy file; DefinitionInvalid lists every located problem."""
    policy, problems = read_policy(path.read_text(encoding="utf-8"), str(path))
    if policy is None:
        raise DefinitionInvalid(problems)
    return policy


def deploy_policy(session: Session, path: Path, *, now: datetime) -> PolicyDeployResult:
    """Store a policy file as a new version of its process's policy, unless it is unchanged."""
    return store_policy(session, check_policy_file(path), path.name, now=now)


def deploy_policy_text(session: Session, text: str, name: str, *, now: datetime) -> PolicyDeployResult:
    """Check a policy text (problems located in ``name``) and store it like a file; DefinitionInvalid if broken."""
    policy, problems = read_policy(text, name)
    if policy is None:
        raise DefinitionInvalid(problems)
    return store_policy(session, policy, name, now=now)


def store_policy(session: Session, policy: Policy, filename: str, *, now: datetime) -> PolicyDeployResult:
    """Store a checked policy as version N+1 of its process's policy; the newest version when unchanged."""
    _check_targets(session, policy, filename)
    current = session.execute(
        select(SlaPolicy).where(SlaPolicy.process_key == policy.process).order_by(SlaPolicy.version.desc()).limit(1)
    ).scalar_one_or_none()
    if current is not None and current.sha256 == policy.sha256:
        return PolicyDeployResult(current, created=False)
    row = SlaPolicy(process_key=policy.process, version=(current.version + 1) if current else 1,
                    filename=filename, sha256=policy.sha256, source=policy.source, deployed_at=now)
    session.add(row)
    session.flush()
    return PolicyDeployResult(row, created=True)


def _check_targets(session: Session, policy: Policy, filename: str) -> None:
    """DefinitionInvalid when a rung's ``to`` names a role the organisation does not declare."""
    book = role_book(session)
    known = {t.value for t in Target}
    problems = [Problem(filename, None, f"ladder level {step.level}", "to names an unknown role {role}",
                        {"role": target})
                for step in policy.ladder for target in step.targets if target not in known and target not in book]
    if problems:
        raise DefinitionInvalid(problems)
