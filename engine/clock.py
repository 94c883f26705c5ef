"""Where "now" comes from: the system clock, or a file tests move forward."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    """Something that says what time it is."""

    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        return datetime.now(UTC)


class FileClock:
    """A clock read from a file holding an ISO instant; lets tests move a live server's time.

    An empty or missing file means real time, so a server started before the test sets a
    time behaves normally.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def now(self) -> datetime:
        """The instant in the file, else the real time."""
        try:
            text = self.path.read_text().strip()
        except OSError:
            text = ""
        if not text:
            return datetime.now(UTC)
        instant = datetime.fromisoformat(text)
        if instant.tzinfo is None:
            raise ValueError(f"{self.path}: the instant must carry a UTC offset")
        return instant.astimezone(UTC)

    def set(self, instant: datetime) -> None:
        """Move the clock to ``instant``."""
        self.path.write_text(instant.isoformat())
