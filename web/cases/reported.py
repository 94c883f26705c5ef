"""Case data as people read it: the form's field titles and option names instead of JSON keys and codes."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext

from engine.cases import CaseRecord
from engine.context import DefinitionParts
from web.forms import Field, Option, fields_for
from web.i18n import translate


@dataclass(frozen=True)
class ShownValue:
    """One field of submitted data: its title (or raw key when no form names it) and its value as text."""

    label: str
    text: str
    titled: bool  # False: the label is a raw key, shown as code


def shown_values(schema: Mapping[str, Any] | None, data: Mapping[str, Any] | None,
                 departments: Mapping[str, str]) -> list[ShownValue]:
    """``data`` in the order of the form's fields, keys the form does not declare last."""
    data = data or {}
    options = [Option(code, name) for code, name in departments.items()]
    fields = [f for f in fields_for(_all_fields(schema), values=dict(data), department_options=options)
              if f.name in data]
    shown = [ShownValue(f.label, _field_text(f), titled=f.label != f.name) for f in fields]
    declared = {f.name for f in fields}
    for key, value in data.items():
        if key not in declared:  # data the form does not declare: shown as it is
            shown.append(ShownValue(key, _plain(value, departments), titled=False))
    return shown


def data_by_entry(record: CaseRecord, parts: DefinitionParts) -> dict[int, list[ShownValue]]:
    """The data of each history entry that carries some, titled by the form it was submitted with."""
    departments = dict(record.departments)
    form_of_task = {t.id: parts.element(t.element_id).get("form") for t in record.tasks}
    start_form = (parts.catalog.get("start") or {}).get("form")
    found: dict[int, list[ShownValue]] = {}
    for entry in record.history:
        data = entry.payload.get("data")
        if not isinstance(data, dict) or not data:
            continue
        form = form_of_task.get(entry.task_id) if entry.task_id else start_form
        found[entry.id] = shown_values(parts.form(form), data, departments)
    return found


def _all_fields(schema: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The schema with hidden fields shown: what the engine filled in (``street``) is part of the record too."""
    if not schema:
        return None
    properties = {name: {k: v for k, v in spec.items() if k != "x-hidden"}
                  for name, spec in schema.get("properties", {}).items()}
    return {**schema, "properties": properties}


def _field_text(field: Field) -> str:
    if field.widget == "attachments":  # stored names mean nothing to readers; the files are listed elsewhere
        return gettext("%(count)s file(s)", count=len(field.value or []))
    labels = {option.value: option.label for option in field.options}
    values = field.value if isinstance(field.value, list) else [field.value]
    texts = [labels.get(_option_key(v), _scalar(v)) for v in values]
    return "、".join(texts)


def _option_key(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return translate("Yes") if value else translate("No")
    return "" if value is None else str(value)


def _plain(value: Any, departments: Mapping[str, str]) -> str:
    values = value if isinstance(value, list) else [value]
    return "、".join(departments.get(str(v), _scalar(v)) for v in values)
