"""Query parameters the API's queries add to ``web.query``: several choices, yes/no."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request

from web.query import QueryParam

MAX_REPEATS = 10


@dataclass(frozen=True)
class ChoicesParam(QueryParam):
    """One or more of a fixed set of words, the parameter repeated (``status=open&status=claimed``)."""

    choices: tuple[str, ...] = ()
    default: tuple[str, ...] = ()

    def read(self) -> tuple[str, ...]:
        """The chosen words without repeats, in the order sent; the default when absent; 400 otherwise."""
        raw = request.args.getlist(self.name)
        if not raw:
            return self.default
        if len(raw) > MAX_REPEATS:
            self.refuse(f"given at most {MAX_REPEATS} times")
        for value in raw:
            if value not in self.choices:
                self.refuse("one of: " + ", ".join(self.choices))
        return tuple(dict.fromkeys(raw))

    def schema(self) -> dict[str, Any]:
        """An array of the words."""
        found: dict[str, Any] = {"type": "array", "maxItems": MAX_REPEATS,
                                 "items": {"type": "string", "enum": list(self.choices)}}
        if self.default:
            found["default"] = list(self.default)
        return found

    def spec(self) -> dict[str, Any]:
        """Repeated in the query (form style, exploded)."""
        return {**super().spec(), "style": "form", "explode": True}


@dataclass(frozen=True)
class BoolParam(QueryParam):
    """``true`` or ``false``."""

    def read(self) -> bool | None:
        """The value, or None when absent; 400 otherwise."""
        raw = self.raw()
        if raw is None:
            return None
        if raw not in ("true", "false"):
            self.refuse("true or false")
        return raw == "true"

    def schema(self) -> dict[str, Any]:
        """A boolean."""
        return {"type": "boolean"}
