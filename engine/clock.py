"""Where "now" comes from: the system clock, or a file tests move forward."""
from __future__ import annotations

import contextvars
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


# The instant an engine operation runs "at": set while a workflow runs, so timer
# expressions (work_hours(4)) and SpiffWorkflow's timers agree on "now".
PINNED_NOW: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("whistle_now", default=None)


def pinned_now() -> datetime:
    """The instant the running operation was given, else the real time."""
    pinned = PINNED_NOW.get()
    return pinned if pinned is not None else datetime.now(UTC)
