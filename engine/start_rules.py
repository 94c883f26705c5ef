"""The rules every start of a process passes, whoever asks: page, API, CLI or connector.

``engine.instances.start`` runs them after the start form's own schema, so no entry point
can skip them. Two kinds: uploads named in a start form's file fields must be the
starter's own pending uploads (and are given to the new case), and a process may bring
business rules of its own (the whistle's live in ``engine.whistle_rules``).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine import attachments, duplicate_rules, whistle_rules
from engine.actors import Actor
from engine.errors import FieldError

# The longest list of uploads a start checks one by one; longer ones are refused whole.
MAX_CHECKED = 100
Rule = Callable[[Session, Actor, Mapping[str, Any]], list[FieldError]]
# The business rules of a process, by process key. When practices become packs, each pack
# brings its entry here; until then the whistle's is the only one.
PROCESS_RULES: Mapping[str, Rule] = {whistle_rules.PROCESS_KEY: whistle_rules.check}
# Warnings: rules a starter may knowingly override (a suspected duplicate), given the window in days.
WarningRule = Callable[..., list[FieldError]]
PROCESS_WARNINGS: Mapping[str, WarningRule] = {whistle_rules.PROCESS_KEY: whistle_rules.duplicates}


def check(session: Session, actor: Actor, process_key: str, form: Mapping[str, Any] | None,
          data: Mapping[str, Any]) -> list[FieldError]:
    """Every business-rule problem with start ``data`` (the schema's problems are found elsewhere)."""
    errors: list[FieldError] = []
    for name in attachments.fields_of(form):
        ids = data.get(name)
        if not isinstance(ids, list):  # anything else is the schema's to refuse
            continue
        if len(ids) > MAX_CHECKED:  # never look up an unbounded list, even where a form sets no maxItems
            errors.append(FieldError(name, "Choose at most {limit}.", "maxItems", {"limit": MAX_CHECKED}))
        else:
            errors.extend(attachments.unknown(session, actor, ids, field=name))
    rule = PROCESS_RULES.get(process_key)
    if rule is not None:
        errors.extend(rule(session, actor, data))
    return errors


def warnings(session: Session, actor: Actor, process_key: str, data: Mapping[str, Any], *, now: datetime,
             duplicate_days: int, start_properties: Mapping[str, Any] | None = None) -> list[FieldError]:
    """What a starter must confirm before valid start ``data`` starts a case: suspected duplicates, as the
    start event declares them (``duplicates``, engine/duplicate_rules.py) or a process's own rule says."""
    rule = PROCESS_WARNINGS.get(process_key)
    found = rule(session, actor, data, now=now, days=duplicate_days) if rule is not None else []
    return found + duplicate_rules.suspected(session, process_key, start_properties or {}, data, now=now,
                                             default_days=duplicate_days)


def after_start(session: Session, actor: Actor, form: Mapping[str, Any] | None, data: Mapping[str, Any],
                instance_id: int) -> None:
    """Give the uploads the start form named to the new case (in the starting transaction)."""
    for name in attachments.fields_of(form):
        ids = data.get(name)
        if isinstance(ids, list) and ids:
            attachments.attach(session, actor, ids, instance_id, field=name)
