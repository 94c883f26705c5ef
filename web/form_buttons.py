"""The words on a task form's submit button: the step's own action, as its form schema names it."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from web.i18n import current_lang


def submit_label(schema: dict[str, Any] | None) -> str:
    """``x-submit-label`` of the form (``x-submit-label-en`` for English readers); a generic label otherwise."""
    if schema:
        if current_lang() == "en" and schema.get("x-submit-label-en"):
            return str(schema["x-submit-label-en"])
        if schema.get("x-submit-label"):
            return str(schema["x-submit-label"])
    return _("Submit and complete")


def submit_choices(schema: dict[str, Any] | None) -> tuple[str | None, list[tuple[str, str]]]:
    """A form answered by its button (``x-submit-choices``: 核验通过 / 退回重办): the field and (value, words)."""
    found = (schema or {}).get("x-submit-choices") or {}
    field, options = found.get("field"), found.get("options") or []
    if not field or not options:
        return None, []
    english = current_lang() == "en"
    return str(field), [(str(o.get("value", "")), str((english and o.get("label-en")) or o.get("label", "")))
                        for o in options]
