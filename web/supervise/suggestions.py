"""人机协同 agreement: how often dispatchers took the rules' suggestion, by week, and the overrides most made."""
from __future__ import annotations

from flask import render_template

from engine import learned_choices, learned_models
from escalation.suggestion_agreement import Agreement, agreement
from web.db import now, read_session, services
from web.inbox.rows import department_names
from web.query import IntParam, TextParam
from web.supervise.access import reach_ids, supervision_page

WEEKS = IntParam("weeks", "How many weeks, up to this one (1-52, default 8).", low=1, high=52, default=8)
PROCESS = TextParam("process", "Only this process, by key.", max_length=128)


def models() -> list[learned_models.ModelStatus]:
    """The stored learned models (of the asked process), for operators to see when they last learned."""
    return learned_models.status(read_session(), PROCESS.read() or None)


def read(units: list[int] | None) -> Agreement:
    """The agreement the query asks for, over ``units`` (None: every unit)."""
    zone = services().escalation.calendars.default.timezone
    return agreement(read_session(), until=now(), weeks=WEEKS.read() or 8, zone=zone,
                     process=PROCESS.read() or None, units=units)


@supervision_page
def suggestions() -> str:
    """``?weeks=&process=``: agreement by week in the reader's subtree, and the most frequent overrides."""
    # A suggested unit code reads as the unit's short name; other values as they are.
    settings = services().settings
    return render_template("supervise/suggestions.html", found=read(reach_ids()), models=models(),
                           learning=settings.learning and learned_choices.available(),
                           names=department_names(read_session()))
