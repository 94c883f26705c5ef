"""Pinning SpiffWorkflow's notion of "now" to the instant the caller passes in."""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

from engine.clock import PINNED_NOW

_SPIFF_LOGGERS = ("spiff", "spiff.task", "spiff.workflow", "spiff.data", "spiff.dmn")
_NOW = PINNED_NOW
_clock_lock = threading.Lock()


class _ClockedDatetime(datetime):
    """``datetime`` whose ``now`` answers the instant the caller passed in (see :func:`clock`)."""

    @classmethod
    def now(cls, tz: Any = None) -> Any:  # type: ignore[override]
        pinned = _NOW.get()
        if pinned is None:
            return datetime.now(tz)
        return pinned.astimezone(tz) if tz is not None else pinned.astimezone().replace(tzinfo=None)


def _install_clock() -> None:
    """Make SpiffWorkflow's timers read our ``now`` (it calls ``datetime.now`` in one module)."""
    with _clock_lock:
        if spiff_timer.datetime is not _ClockedDatetime:
            spiff_timer.datetime = _ClockedDatetime  # type: ignore[misc]
            for name in _SPIFF_LOGGERS:  # task data (personal data) would land in logs otherwise
                logging.getLogger(name).setLevel(logging.WARNING)


@contextmanager
def clock(now: datetime) -> Iterator[None]:
    """Run the block with SpiffWorkflow's notion of "now" pinned to ``now``."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    _install_clock()
    token = _NOW.set(now)
    try:
        yield
    finally:
        _NOW.reset(token)
