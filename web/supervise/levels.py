"""The rungs of the 督办 ladder as readers see them: a name and a colour per level."""
from __future__ import annotations

from flask_babel import gettext as _

from web.formatting import label

# The standard ladder of processes/whistle/policies/whistle.yaml: level -> action.
ACTIONS = {1: "remind", 2: "notify", 3: "overdue_duban", 4: "cuiban_notice", 5: "escalate"}


def colour(level: int) -> str:
    """yellow (50%), orange (80%), red (overdue and beyond); grey before any rung fired."""
    return {0: "grey", 1: "yellow", 2: "orange"}.get(level, "red")


def level_action(level: int) -> str:
    """What the rung at ``level`` does, in the reader's language."""
    action = ACTIONS.get(level)
    return label(action) if action else ""


def level_name(level: int) -> str:
    """The level's name with its action, e.g. "Level 3 · Overdue (督办)", in the reader's language."""
    if level <= 0:
        return _("Not yet escalated")
    text = _("Level %(n)s", n=level)
    return f"{text} · {level_action(level)}" if level in ACTIONS else text
