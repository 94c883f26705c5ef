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
