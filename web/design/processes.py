"""Deployed processes grouped by key, each with its versions newest first and their running cases."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from engine import definitions


@dataclass(frozen=True)
class VersionRow:
    """One deployed version of a process."""

    key: str
    version: int
    name: str
    filename: str
    sha256: str
    deployed_at: datetime
    running: int


@dataclass(frozen=True)
class ProcessSummary:
    """A process key with every deployed version, newest first."""

    key: str
    versions: list[VersionRow]

    @property
    def latest(self) -> VersionRow:
        """The newest version (what new cases start on)."""
        return self.versions[0]

    @property
    def running(self) -> int:
        """Running cases over all versions."""
        return sum(v.running for v in self.versions)


def process_summaries(session: Session) -> list[ProcessSummary]:
    """Every deployed process, by key, with its versions newest first."""
    grouped: dict[str, list[VersionRow]] = {}
    for d, running in definitions.list_summaries(session):
        grouped.setdefault(d.key, []).append(
            VersionRow(d.key, d.version, d.name, d.filename, d.sha256, d.deployed_at, running))
    return [ProcessSummary(key, sorted(rows, key=lambda v: v.version, reverse=True))
            for key, rows in sorted(grouped.items())]


def process_summary(session: Session, key: str) -> ProcessSummary | None:
    """One process's versions, or None when it was never deployed."""
    return next((p for p in process_summaries(session) if p.key == key), None)
