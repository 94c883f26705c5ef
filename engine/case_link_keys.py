"""The ``links`` extension property of a user task: which processes may be started from its case while it is open."""
from __future__ import annotations

import re
from collections.abc import Mapping

PROPERTY = "links"
# A property lists at most this many processes; the rest are ignored (validation says so).
MAX_KEYS = 8
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,127}$")


def keys_of(value: str | None) -> list[str]:
    """The process keys a ``links`` property names, in order, without repeats or malformed ones."""
    found = [k.strip() for k in (value or "").split(",")]
    return list(dict.fromkeys(k for k in found if _KEY.match(k)))[:MAX_KEYS]


def problems(on_user_task: bool, properties: Mapping[str, str]) -> list[tuple[str, dict[str, object]]]:
    """Deploy-time problems (message template, parameters) of an element's ``links`` property, if it has one.

    Whether the processes named are deployed is seen at run time: a pack may name one deployed later.
    """
    value = properties.get(PROPERTY)
    if value is None:
        return []
    found: list[tuple[str, dict[str, object]]] = []
    if not on_user_task:
        found.append(("{property} is read on user tasks only", {"property": PROPERTY}))
    for bad in (k.strip() for k in value.split(",")):
        if bad and not _KEY.match(bad):
            found.append(("{property}: {value} is not a process key", {"property": PROPERTY, "value": bad[:80]}))
    if len(value.split(",")) > MAX_KEYS:
        found.append(("{property} names more than {limit} processes", {"property": PROPERTY, "limit": MAX_KEYS}))
    return found
