"""A notification as the reader sees it: translated, with its instants in local time."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from escalation.models import Notification
from escalation.notify import INSTANT_PARAMS
from web.formatting import local_time
from web.i18n import translate


def shown_params(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters with every stored UTC instant written in Beijing time, as pages write it."""
    shown = dict(params)
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
    return translate(note.template, shown_params(note.params or {}))
