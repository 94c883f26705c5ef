"""Due badges for pages: colour by ladder level, remaining working time, a live countdown."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from flask_babel import gettext as _
from markupsafe import Markup, escape

from escalation.overdue import clock_overdue
from escalation.supervision import ClockView
from web.db import now, services
from web.formatting import duration, local_time, working_duration

MAX_COUNTDOWN_WINDOWS = 60  # about a month of working windows: enough for any live countdown


@dataclass(frozen=True)
class Due:
    """The running clock of a task that matters most right now."""

    clock: str
    deadline_at: datetime
    level: int
    remaining_seconds: float  # working time left (negative: how late, in clock time)
    windows: list[tuple[str, str]]
    overdue: bool  # escalation.overdue's rule: from the deadline instant on, not only after it
    working: bool = True  # remaining time counts working time (wh/wd/d limits), else clock time
    now: datetime | None = None  # the server's now, so the browser can correct its own clock


def most_urgent(clocks: list[ClockView], department: str | None) -> Due | None:
    """The running clock with the nearest deadline, with the ladder level reached so far."""
    running = [c for c in clocks if c.stopped_at is None and c.is_due_level and c.task_active]
    if not running:
        return None
    clock = min(running, key=lambda c: c.deadline_at)
    reached = max((c.level for c in clocks if c.clock == clock.clock and c.fired_at is not None), default=0)
    current = now()
    calendar = services().escalation.calendars.for_department(department)
    if clock_overdue(is_due_level=clock.is_due_level, stopped_at=clock.stopped_at, deadline_at=clock.deadline_at,
                     task_active=clock.task_active, now=current):
        lateness = (current - clock.deadline_at).total_seconds()
        return Due(clock.clock, clock.deadline_at, max(reached, clock.level), -lateness, [], True, now=current)
    windows = calendar.windows_between(current, clock.deadline_at)[:MAX_COUNTDOWN_WINDOWS]
    remaining = sum((b - a).total_seconds() for a, b in windows)
    working = not (clock.limit.endswith(("min", "h")) and not clock.limit.endswith("wh"))
    if not working:
        windows = [(current, clock.deadline_at)]  # clock-time limits run day and night
        remaining = (clock.deadline_at - current).total_seconds()
    return Due(clock.clock, clock.deadline_at, reached, remaining,
               [(a.isoformat(), b.isoformat()) for a, b in windows], False, working, current)


def _left_text(working: bool, t: str) -> str:
    """"3 working hours left" / "剩余 3个工作小时", or remaining clock time labelled as such."""
    return _("%(t)s left", t=t) if working else _("%(t)s left (calendar time)", t=t)


def _overdue_text(t: str) -> str:
    """Lateness always runs in calendar time, day and night: say so next to the working-time countdowns."""
    return _("Overdue by %(t)s (calendar time)", t=t)


def badge(due: Due | None) -> Markup:
    """A coloured badge with the remaining working time, counting down in the browser."""
    if due is None:
        return Markup("")
    if due.overdue:
        text = _overdue_text(duration(-due.remaining_seconds))
    else:
        left = working_duration(due.remaining_seconds) if due.working else duration(due.remaining_seconds)
        text = _left_text(due.working, left)
    title = _("Due %(when)s", when=local_time(due.deadline_at))
    # The script rewrites the text every half minute with these same words (translated here, filled there).
    formats = {"dh": _("%(d)s d %(h)s h", d="{d}", h="{h}"), "hm": _("%(h)s h %(m)s min", h="{h}", m="{m}"),
               "m": _("%(m)s min", m="{m}"), "whm": _("%(h)s working h %(m)s min", h="{h}", m="{m}"),
               "wh": _("%(h)s working hours", h="{h}")}
    return Markup(
        '<span class="badge level-{level}" title="{title}" data-deadline="{deadline}" data-countdown="{windows}" '
        'data-server-now="{server_now}" data-unit="{unit}" data-formats="{formats}" '
        'data-left-text="{left_text}" data-overdue-text="{overdue_text}"><span class="remaining">{text}</span></span>'
    ).format(level=due.level, title=title, deadline=due.deadline_at.isoformat(),
             windows=json.dumps(due.windows), server_now=(due.now or now()).isoformat(),
             unit="working" if due.working else "calendar", formats=json.dumps(formats, ensure_ascii=False),
             left_text=_left_text(due.working, "{t}"), overdue_text=_overdue_text("{t}"), text=escape(text))


def init_app(app: Flask) -> None:
    """Offer ``due_badge(clocks, department_code)`` to templates."""
    app.jinja_env.globals["due_badge"] = lambda clocks, department=None: badge(most_urgent(clocks, department))
