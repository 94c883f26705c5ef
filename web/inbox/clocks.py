"""A task's clocks for its page: one line per clock, its deadline, how far up the ladder it went, every rung."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from escalation.supervision import ClockView


@dataclass(frozen=True)
class ClockSummary:
    """One clock (report-in or completion) of a task."""

    clock: str
    rule: str
    limit: str
    started_at: datetime
    deadline_at: datetime
    stopped_at: datetime | None
    level: int  # the highest rung fired so far (0: none)
    late: bool
    rungs: list[ClockView]
    missing_years: list[int]

    @property
    def running(self) -> bool:
        """Whether the clock still runs (not signed or not completed yet)."""
        return self.stopped_at is None


def summaries(clocks: list[ClockView], now: datetime) -> list[ClockSummary]:
    """The clocks of one task, report-in first."""
    by_clock: dict[str, list[ClockView]] = {}
    for rung in clocks:
        by_clock.setdefault(rung.clock, []).append(rung)
    found = []
    for clock, rungs in sorted(by_clock.items(), key=lambda item: item[0] != "report_in"):
        due = next((r for r in rungs if r.is_due_level), rungs[-1])
        stopped = next((r.stopped_at for r in rungs if r.stopped_at is not None), None)
        level = max((r.level for r in rungs if r.fired_at is not None), default=0)
        late = (stopped or now) > due.deadline_at
        found.append(ClockSummary(clock, due.rule, due.limit, due.started_at, due.deadline_at, stopped, level, late,
                                  sorted(rungs, key=lambda r: r.level), due.missing_years))
    return found
