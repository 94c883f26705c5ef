"""The rules a process puts on its steps' answers, whoever completes them: page, API, CLI or connector.

``engine.tasks.complete`` runs them after the form's own schema. Like the start rules, they
are the practice's business (the whistle's live in ``engine.whistle_rules``): when practices
become packs, each pack brings its entry here.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from engine import whistle_rules
from engine.errors import FieldError
from engine.models import HumanTask

Rule = Callable[[Session, HumanTask, Mapping[str, Any]], list[FieldError]]
PROCESS_RULES: Mapping[str, Rule] = {whistle_rules.PROCESS_KEY: whistle_rules.check_task}


def check(session: Session, process_key: str, task: HumanTask, data: Mapping[str, Any]) -> list[FieldError]:
    """Every business-rule problem with the answers ``data`` to ``task`` (the schema's are found elsewhere)."""
    rule = PROCESS_RULES.get(process_key)
    return rule(session, task, data) if rule is not None and isinstance(data, Mapping) else []
