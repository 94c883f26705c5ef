"""A notification as the reader sees it: translated, with its instants in local time."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext

from engine.incidents import reason_params
from escalation.models import Notification
from escalation.notify import INSTANT_PARAMS, LIMIT_PARAMS
from web.formatting import N_, label, limit, local_time
from web.i18n import translate

# Kinds of notice only the notifications panel names (the ladder's and urging's kinds are general labels).
KINDS = {
    "returned": N_("Back to you"),
    "rework": N_("Sent back for rework"),
    "case_closed": N_("Case closed"),
    "incident": N_("Case cannot go on"),
    "assigned": N_("Handed to you"),
}

# Notices whose readers may open the task itself (it waits for them); others link to the case only.
TASK_KINDS = frozenset({"returned", "rework", "assigned"})


def notification_kind(kind: str) -> str:
    """The translated name of a kind of notice."""
    return gettext(KINDS[kind]) if kind in KINDS else label(kind)


def shown_params(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters with stored UTC instants in Beijing time and limits in words, as pages write them."""
    shown = dict(params)
    for key in LIMIT_PARAMS & shown.keys():
        if isinstance(shown[key], str):
            shown[key] = limit(shown[key])
    for key in INSTANT_PARAMS & shown.keys():
        value = shown[key]
        try:
            instant = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:  # an old row with free text: show it as stored
            instant = None
        if instant is not None:
            shown[key] = local_time(instant)
    return shown


def notification_text(note: Notification) -> str:
    """The message of ``note`` in the reader's language."""
    # An incident's notice carries the incident's own reason as a text of its own (engine.incidents).
    return translate(note.template, shown_params(reason_params(note.params)))
