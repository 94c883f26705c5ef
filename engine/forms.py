"""Task and start forms: JSON Schema documents stored with each process version.

A form's schema decides which fields a person may submit; nothing else reaches the
workflow's data (so a form cannot redirect a case by writing ``department``). Messages
are written for the people filling the form, in Chinese, with a stable ``code``.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError

from engine import confidential, suggested_values
from engine.errors import FieldError, Problem

MAX_FORM_BYTES = 256 * 1024
MAX_DATA_BYTES = 256 * 1024

def read_form(raw: bytes, path: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Parse and check one form schema file; problems are located at ``path``."""
    if len(raw) > MAX_FORM_BYTES:
        return None, [Problem(path, None, None, "form schema is larger than 256 KB")]
    try:
        schema = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        line = getattr(error, "lineno", None)
        reason = {"reason": getattr(error, "msg", str(error))}
        return None, [Problem(path, line, None, "not valid JSON: {reason}", reason)]
    return schema, check_form(schema, path)


def check_form(schema: Any, path: str) -> list[Problem]:
    """Problems that make ``schema`` unusable as a form."""
    if not isinstance(schema, dict):
        return [Problem(path, 1, None, "a form schema must be a JSON object")]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        return [Problem(path, None, where, "invalid JSON Schema: {reason}", {"reason": error.message})]
    if schema.get("type") != "object" or not isinstance(schema.get("properties", {}), dict):
        return [Problem(path, None, "(root)", "a form schema must have type 'object' and 'properties'")]
    return suggested_values.check(schema, path) + confidential.check(schema, path)


def validate_data(
    schema: Mapping[str, Any] | None,
    data: Any,
    *,
    department_exists: Callable[[str], bool] | None = None,
) -> list[FieldError]:
    """Every problem with ``data`` submitted on a form with ``schema``; empty when valid."""
    if not isinstance(data, dict):
        return [FieldError("(form)", "The submitted data must be a JSON object.", "type")]
    if len(json.dumps(data, ensure_ascii=False, default=str).encode()) > MAX_DATA_BYTES:
        return [FieldError("(form)", "The submitted data is too large (at most 256 KB).", "too_large")]
    declared = set((schema or {}).get("properties", {}))
    errors = [FieldError(key, "This form has no such field.", "undeclared") for key in sorted(data)
              if key not in declared]
    if schema is None:
        return errors
    checker = FormatChecker()
    if department_exists is not None:
        checker.checks("department")(lambda value: not isinstance(value, str) or department_exists(value))
    validator = Draft202012Validator(schema, format_checker=checker)
    for error in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        found = _field_error(error)
        if found not in errors:  # an undeclared key is also an additionalProperties error
            errors.append(found)
    return errors


_MESSAGES = {
    "type": "Must be {expected}.",
    "enum": "Not one of the allowed values.",
    "const": "Not the expected value.",
    "minLength": "At least {limit} characters.",
    "maxLength": "At most {limit} characters.",
    "minimum": "Must not be less than {limit}.",
    "maximum": "Must not be greater than {limit}.",
    "exclusiveMinimum": "Must be greater than {limit}.",
    "exclusiveMaximum": "Must be less than {limit}.",
    "minItems": "Choose at least {limit}.",
    "maxItems": "Choose at most {limit}.",
    "uniqueItems": "Items must not repeat.",
    "pattern": "Wrong format.",
    "format": "Wrong format.",
}


def _field_error(error: ValidationError) -> FieldError:
    field = _dotted(error.absolute_path)
    kind = str(error.validator)
    value: Any = error.validator_value
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "?"
        return FieldError(_join(field, missing), "This field is required.", "required")
    if kind == "additionalProperties":
        extra = error.message.split("'")[1] if "'" in error.message else field
        return FieldError(_join(field, extra), "This form has no such field.", "undeclared")
    if kind == "format" and value == "department":
        return FieldError(field or "(form)", "Unknown department: {code}", "unknown_department",
                          {"code": error.instance})
    if kind == "type":
        expected = " or ".join(value) if isinstance(value, list) else str(value)
        return FieldError(field or "(form)", _MESSAGES["type"], kind, {"expected": expected})
    template = _MESSAGES.get(kind)
    if template is None:
        return FieldError(field or "(form)", "Invalid value: {reason}", kind, {"reason": error.message})
    return FieldError(field or "(form)", template, kind, {"limit": value})


def _dotted(path: Any) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _join(parent: str, name: str) -> str:
    return f"{parent}.{name}" if parent else name
