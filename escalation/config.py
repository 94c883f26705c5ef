"""What escalation needs at run time: calendars, a notifier, and cached policies."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from escalation.calendars import Calendars
from escalation.models import SlaPolicy
from escalation.notify import InAppNotifier, Notifier
from escalation.policies import Policy, read_policy


@dataclass
class Escalation:
    """Built once by the composition root; policies are cached by version id (they never change)."""

    calendars: Calendars = field(default_factory=Calendars)
    notifier: Notifier = field(default_factory=InAppNotifier)
    _policies: dict[int, Policy] = field(default_factory=dict, repr=False)

    def policy_for(self, session: Session, process_key: str) -> tuple[int, Policy] | None:
        """The newest deployed policy of a process, or None when it has none."""
        policy_id = session.execute(
            select(SlaPolicy.id).where(SlaPolicy.process_key == process_key).order_by(SlaPolicy.version.desc()).limit(1)
        ).scalar_one_or_none()
        if policy_id is None:
            return None
        return policy_id, self.stored(session, policy_id)

    def stored(self, session: Session, policy_id: int) -> Policy:
        """The parsed policy of a stored version id."""
        if policy_id not in self._policies:
            row = session.execute(
                select(SlaPolicy.source, SlaPolicy.filename).where(SlaPolicy.id == policy_id)
            ).one()
            return self.policy(policy_id, row.source, row.filename)
        return self._policies[policy_id]

    def policy(self, policy_id: int, source: str, filename: str) -> Policy:
        """The parsed policy of a stored version."""
        found = self._policies.get(policy_id)
        if found is None:
            parsed, problems = read_policy(source, filename, stored=True)
            if parsed is None:  # stored policies were checked at deploy; this is a corrupt row
                raise ValueError(f"stored policy {policy_id} no longer parses: {problems[0]}")
            found = self._policies[policy_id] = parsed
        return found
