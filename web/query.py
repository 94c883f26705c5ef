"""Query parameters declared once: each parses its value and renders its own OpenAPI description.

The handler reads ``LIMIT.read()``; the OpenAPI document lists ``LIMIT.spec()``; so the
range a client reads is the range the server enforces. A malformed value is a 400 that
names the parameter; an id outside the column range names nothing, so it is a 404.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask import abort, has_request_context, request

from engine.roles import role_book
from web.boundary import ID_MAX, ID_MIN, printable
from web.db import read_session

_INTEGER = re.compile(r"-?[0-9]{1,20}")  # ASCII digits only: int() would also take "١٢", "1_0" and " 7 "
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only, as for integers
# A month a ranking may ask for: years 1900-2199, whose instants all convert to and from UTC.
_MONTH = re.compile(r"^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])$")
ROLE_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")  # how the organisation data spells a role code


@dataclass(frozen=True)
class QueryParam:
    """A query parameter: its name, what it means, and how to read it."""

    name: str
    description: str

    def raw(self) -> str | None:
        """The value as sent, or None when absent."""
        return request.args.get(self.name)

    def schema(self) -> dict[str, Any]:
        """The JSON Schema of the value."""
        return {"type": "string"}

    def statuses(self) -> set[int]:
        """The statuses a bad value of this parameter produces."""
        return {400}

    def spec(self) -> dict[str, Any]:
        """The OpenAPI parameter object."""
        return {"name": self.name, "in": "query", "required": False, "description": self.description,
                "schema": self.schema()}

    def refuse(self, must: str) -> Any:
        """A 400 naming the parameter."""
        abort(400, description=f"Query parameter '{self.name}' must be {must}.")


@dataclass(frozen=True)
class IntParam(QueryParam):
    """An integer within [low, high]."""

    low: int = 0
    high: int = ID_MAX
    default: int | None = None

    def read(self) -> int | None:
        """The value, the default when absent; 400 when not an integer in range."""
        raw = self.raw()
        if raw is None:
            return self.default
        value = self.integer(raw)
        if not self.low <= value <= self.high:
            self.refuse(f"between {self.low} and {self.high}")
        return value

    def integer(self, raw: str) -> int:
        """``raw`` as an integer, or a 400."""
        if not _INTEGER.fullmatch(raw):
            self.refuse("an integer")
        return int(raw)

    def schema(self) -> dict[str, Any]:
        """An integer with its bounds (and default)."""
        found: dict[str, Any] = {"type": "integer", "minimum": self.low, "maximum": self.high}
        if self.default is not None:
            found["default"] = self.default
        return found


@dataclass(frozen=True)
class IdParam(IntParam):
    """A row id: not an integer is a 400; outside the column range it names nothing (404)."""

    low: int = ID_MIN
    high: int = ID_MAX

    def read(self) -> int | None:
        """The id, or None when absent."""
        raw = self.raw()
        if raw is None:
            return None
        value = self.integer(raw)
        if not self.low <= value <= self.high:
            abort(404, description=f"Nothing has the id {printable(raw, 24)} (query parameter '{self.name}').")
        return value

    def statuses(self) -> set[int]:
        """Malformed: 400; out of range: 404."""
        return {400, 404}


@dataclass(frozen=True)
class ChoiceParam(QueryParam):
    """One of a fixed set of words."""

    choices: tuple[str, ...] = ()
    default: str | None = None

    def read(self) -> str | None:
        """The chosen word, the default when absent; 400 otherwise."""
        raw = self.raw()
        if raw is None:
            return self.default
        if raw not in self.choices:
            self.refuse("one of: " + ", ".join(self.choices))
        return raw

    def schema(self) -> dict[str, Any]:
        """The words as an enum."""
        found: dict[str, Any] = {"type": "string", "enum": list(self.choices)}
        if self.default is not None:
            found["default"] = self.default
        return found


@dataclass(frozen=True)
class TextParam(QueryParam):
    """Free text up to ``max_length`` characters; empty means not given."""

    max_length: int = 64

    def read(self) -> str | None:
        """The text, or None when absent or empty."""
        raw = self.raw()
        if raw is not None and len(raw) > self.max_length:
            self.refuse(f"at most {self.max_length} characters")
        return raw or None

    def schema(self) -> dict[str, Any]:
        """A string with its length bound."""
        return {"type": "string", "maxLength": self.max_length}


@dataclass(frozen=True)
class RoleParam(TextParam):
    """A role code the organisation data declares (active or not: history keeps retired roles)."""

    def read(self) -> str | None:
        """The code, or None when absent or empty; 400 when no role has it."""
        code = super().read()
        if code is not None and (not ROLE_CODE.fullmatch(code) or code not in role_book(read_session())):
            self.refuse("a role code the organisation declares, e.g. dept_staff")
        return code

    def schema(self) -> dict[str, Any]:
        """A string spelled like a role code; served in a request, the declared codes too."""
        found: dict[str, Any] = {"type": "string", "pattern": ROLE_CODE.pattern, "maxLength": self.max_length}
        # A well-spelled code no role has is a 400: the document lists the codes so it says so.
        codes = [r.code for r in role_book(read_session())] if has_request_context() else []
        if codes:
            found["enum"] = codes
        return found


@dataclass(frozen=True)
class InstantParam(QueryParam):
    """An ISO 8601 instant with a UTC offset."""

    def read(self) -> datetime | None:
        """The instant in UTC, or None when absent; 400 when not an instant with an offset."""
        raw = self.raw()
        if raw is None:
            return None
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            return self.refuse("an ISO 8601 instant, e.g. 2026-09-28T09:00:00+08:00")
        if value.tzinfo is None:
            self.refuse("an instant with a UTC offset, e.g. 2026-09-28T09:00:00+08:00")
        try:
            return value.astimezone(UTC)
        except OverflowError:  # year 1 at +23:59 or year 9999 at -23:59: outside what a datetime holds in UTC
            return datetime.min.replace(tzinfo=UTC) if value.year == 1 else datetime.max.replace(tzinfo=UTC)

    def schema(self) -> dict[str, Any]:
        """A date-time string."""
        return {"type": "string", "format": "date-time"}


@dataclass(frozen=True)
class DateParam(QueryParam):
    """A calendar day, YYYY-MM-DD (what a date input sends)."""

    def read(self) -> date | None:
        """The day, or None when absent or empty; 400 when not a YYYY-MM-DD date."""
        raw = self.raw()
        if not raw:
            return None
        try:
            if not _DATE.fullmatch(raw):
                raise ValueError(raw)
            return date.fromisoformat(raw)
        except ValueError:
            return self.refuse("a date, e.g. 2026-09-28")

    def schema(self) -> dict[str, Any]:
        """A date string."""
        return {"type": "string", "format": "date"}


def paging(max_limit: int, default_limit: int = 50) -> tuple[IntParam, IntParam]:
    """``limit`` (1..max_limit) and ``offset`` (0..1,000,000) of a list."""
    return (IntParam("limit", "Page size.", low=1, high=max_limit, default=default_limit),
            IntParam("offset", "Rows to skip.", low=0, high=1_000_000, default=0))


@dataclass(frozen=True)
class MonthParam(QueryParam):
    """A calendar month, YYYY-MM (what a month input sends), years 1900–2199."""

    def read(self) -> date | None:
        """The month's first day, or None when absent or empty; 400 when not a YYYY-MM month."""
        raw = self.raw()
        if not raw:
            return None
        if not _MONTH.fullmatch(raw):
            return self.refuse("a month, e.g. 2026-09")
        return date(int(raw[:4]), int(raw[5:]), 1)

    def schema(self) -> dict[str, Any]:
        """A YYYY-MM string."""
        return {"type": "string", "pattern": _MONTH.pattern}
