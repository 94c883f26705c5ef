"""Confidential case data (举报: the reporter's identity): fields only some roles may read, by the start form.

A start form may declare at its root::

    "x-confidential": {"when": {"request_kind": ["report"]},
                       "fields": ["requester_name", "requester_phone"],
                       "readers": ["intake_clerk", "ops_dispatcher"]}

A case whose start data meets ``when`` shows those fields only to people holding one of the
``readers`` roles; everyone else reads :data:`HIDDEN` in their place, in the case data and in the
history entries that carry start data (started, merged requests). The form names everything.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.actors import Actor
from engine.errors import Problem
from engine.models import ProcessDefinition

KEY = "x-confidential"
HIDDEN = "（保密）"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_MAX = 20
DATA_ACTIONS = ("started", "request_merged")  # history entries whose payload holds start data


def check(schema: Mapping[str, Any], path: str) -> list[Problem]:
    """Problems of a form's ``x-confidential`` declaration."""
    rule = schema.get(KEY)
    if rule is None:
        return []
    when = rule.get("when") if isinstance(rule, Mapping) else None
    fields, readers = (rule.get("fields"), rule.get("readers")) if isinstance(rule, Mapping) else (None, None)
    good = (isinstance(when, Mapping) and len(when) == 1 and all(
        _NAME.fullmatch(str(k)) and isinstance(v, list) and 0 < len(v) <= _MAX for k, v in when.items())
        and _names(fields) and _names(readers))
    if good:
        return []
    return [Problem(path, None, KEY, "x-confidential must say when ({field: [values]}), which fields "
                    "(a list of names) and who may read them (a list of role codes)")]


def _names(value: Any) -> bool:
    return isinstance(value, list) and 0 < len(value) <= _MAX and all(
        isinstance(v, str) and _NAME.fullmatch(v) for v in value)


def rule_of(session: Session, definition_id: int) -> Mapping[str, Any] | None:
    """The ``x-confidential`` rule of a version's start form, when it declares one."""
    row = session.execute(select(ProcessDefinition.catalog, ProcessDefinition.forms).where(
        ProcessDefinition.id == definition_id)).one_or_none()
    if row is None:
        return None
    catalog, forms = row
    form = (forms or {}).get(((catalog or {}).get("start") or {}).get("form") or "") or {}
    rule = form.get(KEY) if isinstance(form, Mapping) else None
    return rule if isinstance(rule, Mapping) and not check(form, "") else None


def shown(rule: Mapping[str, Any] | None, actor: Actor, data: Any) -> Any:
    """``data`` as ``actor`` may read it: the confidential fields hidden when the rule applies and they may not."""
    if rule is None or not isinstance(data, Mapping):
        return data
    (field, values), = rule["when"].items()
    if data.get(field) not in values or _reads(rule, actor):
        return data
    return {k: (HIDDEN if k in rule["fields"] and v not in (None, "") else v) for k, v in data.items()}


def shown_payload(rule: Mapping[str, Any] | None, actor: Actor, action: str, payload: Any) -> Any:
    """A history payload as ``actor`` may read it (start data inside it hidden as in the case data)."""
    if rule is None or action not in DATA_ACTIONS or not isinstance(payload, Mapping):
        return payload
    data = payload.get("data")
    hidden = shown(rule, actor, data)
    return payload if hidden is data else {**payload, "data": hidden}


def _reads(rule: Mapping[str, Any], actor: Actor) -> bool:
    readers = set(rule["readers"])
    return any(seat.role in readers for seat in actor.seats)
