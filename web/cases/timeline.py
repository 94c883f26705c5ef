"""The case timeline: audit actions and fired escalation rungs, merged in time order."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.cases import HistoryEntry
from escalation.supervision import EscalationRow


@dataclass(frozen=True)
class TimelineItem:
    """One line of the timeline: an action someone took, or a rung of the ladder that fired."""

    at: datetime
    action: HistoryEntry | None = None
    escalation: EscalationRow | None = None


# The audit row every fired rung writes: the escalation line says the same with its level, action and targets.
RUNG_AUDIT = "escalated"


def merged(history: list[HistoryEntry], escalations: list[EscalationRow]) -> list[TimelineItem]:
    """Actions and escalations oldest first; at the same instant the action comes first (it caused the rung).

    A rung shows once, as its escalation line (labelled by its own level and action); its audit
    row would add a second, unlabelled line per rung.
    """
    items = [TimelineItem(entry.at, action=entry) for entry in history if entry.action != RUNG_AUDIT]
    items += [TimelineItem(row.fired_at, escalation=row) for row in escalations]
    # sorted() is stable: actions keep their audit order, escalations (listed newest first) are ordered by time.
    return sorted(items, key=lambda item: (item.at, item.escalation is not None,
                                           item.escalation.id if item.escalation else 0))
