"""A pack's ``public.yaml``: which process residents' demands start, and what the public site may show of them.

Example (the 一网通办 pack)::

    process: ywtb                        # residents' demands start this process
    starter: SFQ-CY.public               # the account that takes them in (a seat that may start it)
    fields: [request_kind, category, street, community, address, description, requester_name, requester_phone]
    set: {channel: app, disposition: dispatch, limit_class: general}   # fixed start values
    phone: requester_phone               # with the tracking number, proves who may follow a demand
    shown: [request_kind, category, street, community]   # what the resident's progress page repeats
    reply: {form: ywtb_handle, field: result}            # the unit's answer to the resident
    rate_on: {forms: [ywtb_rate, ywtb_rerate], field: rating, remarks: comment, asks: [solved],
              set: {rated_by: requester}}
    unit_kinds: {street: [street, town]}   # a unit field offers units of these kinds only

Nothing here names a form or a field: the pack does. Read once when the app starts.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import yaml_lines
from engine.errors import DefinitionInvalid
from engine.yaml_lines import LocatedDict

FILE = "public.yaml"
MAX_FILE_BYTES = 64 * 1024
MAX_FIELDS = 30
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
KEY = re.compile(r"[A-Za-z0-9_.-]{1,128}")
MAX_ASKS = 5  # questions beside the rating: a resident answers a few, not a survey
_KEYS = ("process", "starter", "fields", "set", "phone", "shown", "reply", "rate_on", "unit_kinds")


@dataclass(frozen=True)
class Rating:
    """The steps a resident's rating completes, the rating and comment fields, and fixed values."""

    forms: tuple[str, ...]
    field: str
    comment: str | None
    fixed: Mapping[str, Any]
    asks: tuple[str, ...] = ()  # more of the rating form's fields the resident may answer (e.g. solved or not)


@dataclass(frozen=True)
class PublicChannel:
    """What residents may start and see of one process."""

    process: str
    starter: str
    fields: tuple[str, ...]
    fixed: Mapping[str, Any]
    phone: str
    shown: tuple[str, ...]
    reply_form: str | None = None
    reply_field: str | None = None
    rating: Rating | None = None
    unit_kinds: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # unit field -> kinds it offers
    source: str = field(default="", compare=False)


def read(path: Path) -> PublicChannel:
    """The channel a ``public.yaml`` declares; DefinitionInvalid with located problems otherwise."""
    found = yaml_lines.read_settings(path, MAX_FILE_BYTES, _KEYS)
    name, data, problems, say = found.name, found.data, found.problems, found.say
    process, starter = data.get("process"), data.get("starter")
    if not isinstance(process, str) or not KEY.fullmatch(process):
        say("process", "process must name the process residents' demands start")
    if not isinstance(starter, str) or not KEY.fullmatch(starter):
        say("starter", "starter must name the account that takes residents' demands in")
    fields = _names(data, "fields", say)
    shown = _names(data, "shown", say, required=False)
    phone = data.get("phone")
    if not isinstance(phone, str) or phone not in fields:
        say("phone", "phone must name one of fields: the field holding the resident's phone number")
    fixed = _fixed(data, "set", say)
    reply = data.get("reply")
    reply_form = reply_field = None
    if reply is not None:
        if isinstance(reply, Mapping) and isinstance(reply.get("form"), str) and KEY.fullmatch(reply["form"]) \
                and isinstance(reply.get("field"), str) and NAME.fullmatch(reply["field"]):
            reply_form, reply_field = reply["form"], reply["field"]
        else:
            say("reply", "reply must name the form and field of the unit's answer ({form: …, field: …})")
    rating = _rating(data, say)
    kinds = data.get("unit_kinds", {})
    if not isinstance(kinds, Mapping) or not all(
            k in fields and isinstance(v, list) and 0 < len(v) <= MAX_FIELDS and
            all(isinstance(x, str) and KEY.fullmatch(x) for x in v) for k, v in kinds.items()):
        say("unit_kinds", "unit_kinds must map unit fields of fields to the unit kinds they offer")
        kinds = {}
    if problems:
        raise DefinitionInvalid(problems)
    return PublicChannel(str(process), str(starter), fields, fixed, str(phone), shown, reply_form, reply_field,
                         rating, {k: tuple(v) for k, v in kinds.items()}, name)


def _names(data: LocatedDict, key: str, say: Any, *, required: bool = True) -> tuple[str, ...]:
    raw = data.get(key, None if required else [])
    if not isinstance(raw, list) or not (1 if required else 0) <= len(raw) <= MAX_FIELDS or \
            not all(isinstance(n, str) and NAME.fullmatch(n) for n in raw):
        say(key, "{key} must list 1 to {limit} field names", key=key, limit=MAX_FIELDS)
        return ()
    return tuple(raw)


def _fixed(owner: Mapping[str, Any], key: str, say: Any) -> dict[str, Any]:
    raw = owner.get(key, {})
    if not isinstance(raw, Mapping) or len(raw) > MAX_FIELDS or not all(
            NAME.fullmatch(str(k)) and isinstance(v, str | int | bool) for k, v in raw.items()):
        say(key, "{key} must map field names to fixed texts, numbers or true/false", key=key)
        return {}
    return dict(raw)


def _rating(data: LocatedDict, say: Any) -> Rating | None:
    raw = data.get("rate_on")
    if raw is None:
        return None
    forms = raw.get("forms") if isinstance(raw, Mapping) else None
    rated, comment = (raw.get("field"), raw.get("remarks")) if isinstance(raw, Mapping) else (None, None)
    if not isinstance(forms, list) or not 1 <= len(forms) <= 10 or \
            not all(isinstance(f, str) and KEY.fullmatch(f) for f in forms) or \
            not isinstance(rated, str) or not NAME.fullmatch(rated) or \
            (comment is not None and not (isinstance(comment, str) and NAME.fullmatch(comment))):
        say("rate_on", "rate_on must list the forms a resident's rating completes and name its field "
            "({forms: […], field: …, remarks: …})")
        return None
    asks = raw.get("asks", [])
    if not isinstance(asks, list) or len(asks) > MAX_ASKS or \
            not all(isinstance(a, str) and NAME.fullmatch(a) and a not in (rated, comment) for a in asks):
        say("rate_on", "rate_on's asks must list at most {most} more field names of the rating form",
            most=MAX_ASKS)
        asks = []
    return Rating(tuple(forms), rated, comment, _fixed(raw, "set", say), tuple(asks))


def channels(processes_dir: Path) -> list[PublicChannel]:
    """Every pack's channel in a processes folder (packs without ``public.yaml`` have none)."""
    found = []
    for path in sorted(processes_dir.glob(f"*/{FILE}"))[:100]:
        found.append(read(path))
    return found
