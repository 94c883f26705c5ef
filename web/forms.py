"""Forms generated from a process's JSON Schema: fields to render, and submitted values parsed back.

The schema is the contract (the engine validates against it); this module only turns it
into widgets and turns what a browser posts (all strings) back into typed JSON values, so
the engine's per-field messages can be shown next to the right field.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from engine.errors import FieldError
from web.i18n import current_lang, translate
from web.upload_rules import UploadRules, upload_rules

LONG_TEXT = 200  # strings allowed to be longer than this get a text area


@dataclass(frozen=True)
class Option:
    """One choice of a select, radio group or checkbox group."""

    value: str
    label: str


@dataclass
class Field:
    """One form field ready for the template."""

    name: str
    label: str
    widget: str  # text | textarea | select | radio | checkboxes | rating | number | attachments
    required: bool
    hint: str = ""
    options: list[Option] = field(default_factory=list)
    value: Any = None
    error: str = ""
    maxlength: int | None = None
    upload: UploadRules | None = None  # attachments only: the types and sizes told beside the field


def fields_for(schema: dict[str, Any] | None, *, values: dict[str, Any] | None = None,
               errors: list[FieldError] | None = None,
               department_options: list[Option] | None = None) -> list[Field]:
    """The fields of a form schema, filled with ``values`` and the messages of ``errors``."""
    if not schema:
        return []
    values = values or {}
    by_field = {e.field.split("[")[0].split(".")[0]: translate(e.template, e.params) for e in errors or []}
    required = set(schema.get("required", []))
    found = []
    for name, spec in schema.get("properties", {}).items():
        if spec.get("x-hidden"):
            continue
        widget, options = _widget(spec, department_options or [])
        found.append(Field(
            name=name, label=_text(spec, "title") or name, widget=widget, required=name in required,
            hint=_text(spec, "description"), options=options, value=values.get(name, spec.get("default")),
            error=by_field.get(name, ""), maxlength=spec.get("maxLength"),
            upload=upload_rules() if widget == "attachments" else None,
        ))
    return found


def _text(spec: dict[str, Any], key: str) -> str:
    """A schema text in the reader's language (``x-title-en`` beside the Chinese ``title``)."""
    if current_lang() == "en" and spec.get(f"x-{key}-en"):
        return str(spec[f"x-{key}-en"])
    return str(spec.get(key, ""))


def _widget(spec: dict[str, Any], departments: list[Option]) -> tuple[str, list[Option]]:
    kind = spec.get("type")
    if spec.get("x-widget") == "attachments":
        return "attachments", []
    if kind == "array":
        items = spec.get("items", {})
        if items.get("format") == "department":
            return "checkboxes", departments
        if "enum" in items:
            return "checkboxes", _enum_options(items)
        return "textarea", []
    if "enum" in spec:  # a drop-down, or buttons to tap when the form asks ("x-widget": "radio", few choices)
        return ("radio" if spec.get("x-widget") == "radio" else "select"), _enum_options(spec)
    if spec.get("format") == "department":
        return "select", departments
    if kind == "boolean":
        return "radio", [Option("true", translate("Yes")), Option("false", translate("No"))]
    if kind == "integer" and spec.get("minimum") == 1 and spec.get("maximum") == 5:
        return "rating", [Option(str(n), str(n)) for n in range(1, 6)]
    if kind in ("integer", "number"):
        return "number", []
    if spec.get("maxLength", LONG_TEXT + 1) > LONG_TEXT:
        return "textarea", []
    return "text", []


def _enum_options(spec: dict[str, Any]) -> list[Option]:
    names = spec.get("x-enumNames-en") if current_lang() == "en" and spec.get("x-enumNames-en") else \
        spec.get("x-enumNames")
    values = [str(v) for v in spec.get("enum", [])]
    labels = [str(n) for n in names] if names and len(names) == len(values) else values
    return [Option(v, label) for v, label in zip(values, labels, strict=True)]


def parse(schema: dict[str, Any] | None, form: MultiDict[str, str]) -> dict[str, Any]:
    """Typed data from a posted form: only the schema's fields, blanks left out (so "required" can say so)."""
    data: dict[str, Any] = {}
    for name, spec in (schema or {}).get("properties", {}).items():
        if spec.get("x-hidden") or spec.get("x-widget") == "attachments":
            continue
        kind = spec.get("type")
        if kind == "array":
            values = [v.strip() for v in form.getlist(name) if v.strip()]
            if spec.get("items", {}).get("type") == "string" and "enum" not in spec.get("items", {}) \
                    and spec.get("items", {}).get("format") != "department":
                values = [line.strip() for v in values for line in v.splitlines() if line.strip()]
            if values:
                data[name] = values
            continue
        raw = form.get(name, "").strip()
        if raw == "":
            continue
        data[name] = _typed(kind, raw)
    return data


def _typed(kind: Any, raw: str) -> Any:
    """The JSON value for a posted string; left as text when it does not convert (the schema then says why)."""
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw, raw)
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            return raw
    if kind == "number":
        try:
            return float(raw)
        except ValueError:
            return raw
    return raw
