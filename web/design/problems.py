"""Located problems for designers: translated once, shown as a list on pages and as JSON to the modeler."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.errors import Problem
from web.i18n import translate


@dataclass(frozen=True)
class ShownProblem:
    """A problem in the reader's language, with where it is."""

    file: str
    line: int | None
    element: str | None
    message: str
    severity: str = "error"

    @property
    def is_warning(self) -> bool:
        """Whether it only warns (the deploy goes ahead)."""
        return self.severity == "warning"

    @property
    def location(self) -> str:
        """``file:line`` (without a line when it is unknown)."""
        return f"{self.file}:{self.line}" if self.line else self.file

    def as_json(self) -> dict[str, Any]:
        """What the modeler pins to the diagram."""
        return {"file": self.file, "line": self.line, "element": self.element, "message": self.message,
                "location": self.location, "severity": self.severity}


def shown(problems: list[Problem], warnings: list[Problem] | None = None) -> list[ShownProblem]:
    """Translate each problem's template, then fill in its parameters (in the request's language).

    Errors first, then warnings, each in file and line order.
    """
    return [ShownProblem(p.file, p.line, p.element, translate(p.template, p.params), p.severity.value)
            for p in [*problems, *(warnings or [])]]
