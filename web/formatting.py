"""Template filters: local times, durations and labels, all in the reader's language."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Flask
from flask_babel import gettext as _

from escalation.limits import Limit, LimitError, Unit
from web.form_buttons import submit_choices, submit_label
from web.people import people

SHANGHAI = ZoneInfo("Asia/Shanghai")


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark a string for the catalog without translating it yet."""
    return message


# Labels of ladder actions, task statuses and audit actions (English ids, translated when shown).
LABELS = {
    "remind": N_("Reminder"),
    "notify": N_("Notice to the head"),
    "overdue_duban": N_("Overdue (督办)"),
    "cuiban_notice": N_("Urging notice (催办)"),
    "escalate": N_("Escalated"),
    "extension_requested": N_("Extension requested"),
    "extension_approved": N_("Extension approved"),
    "extension_rejected": N_("Extension rejected"),
    "open": N_("Waiting"),
    "claimed": N_("In hand"),
    "completed": N_("Done"),
    "cancelled": N_("Withdrawn"),
    "running": N_("Running"),
    "started": N_("Whistle blown"),
    "linked": N_("Linked case started"),
    "request_merged": N_("Another request merged in"),
    "taken_in_for_resident": N_("Taken in for a resident"),
    "task_created": N_("Task created"),
    "task_cancelled": N_("Task withdrawn"),
    "unclaimed": N_("Released"),
    "reassigned": N_("Handed up"),
    "escalated": N_("Escalated"),
    "urged": N_("Urged by supervision"),
    "duban": N_("Supervision notice (督办)"),
    "cuiban": N_("Urging notice (催办)"),
    "message": N_("Message received"),
    "instance_completed": N_("Case closed"),
    "instance_cancelled": N_("Case withdrawn"),
    "withdrawn": N_("Case withdrawn"),
    "timers_checked": N_("Timers checked"),
    "timer_failed": N_("Timer failed"),
    "incident_opened": N_("Incident: the case cannot go on"),
    "incident_resolved": N_("Incident resolved"),
    "instance_suspended": N_("Case suspended"),
    "instance_resumed": N_("Case resumed"),
    "case_retried": N_("Step retried"),
    "token_moved": N_("Token moved"),
    "instance_migrated": N_("Case migrated to another version"),
    "commented": N_("Comment"),
    "assigned": N_("Assigned to a colleague"),
    "delegated": N_("Passed on to a colleague"),
    "department_added": N_("Department added (追加召集)"),
    "report_in": N_("Sign-in clock"),
    "complete": N_("Completion clock"),
}


def local_time(value: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """An instant in Beijing time."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(SHANGHAI).strftime(pattern)


def duration(seconds: float | None) -> str:
    """A length of time such as "2 d 3 h" / "2天3小时", coarse enough to read at a glance."""
    if seconds is None:
        return ""
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)s d %(h)s h", d=days, h=hours)
    if hours:
        return _("%(h)s h %(m)s min", h=hours, m=mins)
    return _("%(m)s min", m=mins)


# A case's states: one word each, the same on every page (a case 已结案, its tasks 已办结).
CASE_STATUS = {"running": N_("Under way"), "completed": N_("Closed"), "cancelled": N_("Cancelled"),
               "suspended": N_("Suspended")}


def case_status(value: str | None) -> str:
    """The translated word for a case's state (tasks use ``label``: their done is 已办结)."""
    found = CASE_STATUS.get(str(value))
    return _(found) if found is not None else str(value or "")


# How a limit reads, per unit: (one, many). Chinese has one form; English needs both.
LIMIT_WORDS = {
    Unit.MINUTES: (N_("%(n)s minute"), N_("%(n)s minutes")),
    Unit.HOURS: (N_("%(n)s hour"), N_("%(n)s hours")),
    Unit.WORK_HOURS: (N_("%(n)s working hour"), N_("%(n)s working hours")),
    Unit.WORK_DAYS: (N_("%(n)s working day"), N_("%(n)s working days")),
    Unit.DAYS: (N_("%(n)s calendar day"), N_("%(n)s calendar days")),
}


def limit(text: str | None) -> str:
    """A limit such as ``2wh`` in words ("2 working hours" / "2个工作小时"); the text itself if unreadable."""
    if not text:
        return ""
    try:
        parsed = Limit.parse(text)
    except LimitError:
        return str(text)
    amount = int(parsed.amount) if parsed.amount == int(parsed.amount) else parsed.amount
    one, many = LIMIT_WORDS[parsed.unit]
    return _(one if amount == 1 else many, n=amount)


def working_duration(seconds: float | None) -> str:
    """Working time in working hours ("3 working h 20 min" / "3个工作小时20分"): a working day is no 24 h."""
    if seconds is None:
        return ""
    hours, mins = divmod(int(abs(seconds) // 60), 60)
    if hours and mins:
        return _("%(h)s working h %(m)s min", h=hours, m=mins)
    if hours:
        return _("%(h)s working hours", h=hours)
    return _("%(m)s min", m=mins)


def label(key: str | None) -> str:
    """The translated label of an action, status or clock id (the id itself if unknown)."""
    if key is None:
        return ""
    found = LABELS.get(str(key))
    return _(found) if found is not None else str(key)


def init_app(app: Flask) -> None:
    """Register the filters, ``people(logins)`` (display names by login) and ``submit_label(schema)``."""
    app.jinja_env.filters.update(local_time=local_time, duration=duration, label=label, limit=limit,
                                 case_status=case_status)
    app.jinja_env.globals.update(people=people, submit_label=submit_label, submit_choices=submit_choices)
