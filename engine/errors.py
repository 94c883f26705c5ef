"""Domain errors: each says what went wrong in words a user can act on.

Messages are English templates with named ``{params}``; the web layer translates the
template (zh_CN first) and then fills in the parameters, so the engine stays free of any
presentation concern while every user still reads their own language.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


def render(template: str, params: Mapping[str, Any]) -> str:
    """Fill ``{name}`` placeholders; a missing parameter is left visible instead of failing."""
    try:
        return template.format_map(_Lenient(params))
    except (ValueError, IndexError):
        return template


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True)
class Text:
    """A message used as a parameter of another message; translated on its own, then filled in."""

    template: str
    params: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __str__(self) -> str:
        return render(self.template, self.params)


class WhistleError(Exception):
    """Base of every error the engine raises on purpose."""

    code = "error"

    def __init__(self, template: str, /, **params: Any) -> None:
        self.template = template
        self.params = params
        super().__init__(render(template, params))

    @property
    def message(self) -> str:
        """The English message with parameters filled in."""
        return render(self.template, self.params)


class NotFound(WhistleError):
    """The thing does not exist, or the caller may not know that it does."""

    code = "not_found"


class Forbidden(WhistleError):
    """The caller can see the thing but may not do this to it."""

    code = "forbidden"


class Conflict(WhistleError):
    """The thing changed under the caller: claimed by someone else, already completed, stale."""

    code = "conflict"


class StaleRevision(Conflict):
    """Another writer saved the instance first; the caller may retry."""

    code = "stale_revision"


class Unavailable(WhistleError):
    """What the request needs is not set up to answer (a channel's account missing, say): an operator must act."""

    code = "unavailable"


class ProcessFailed(WhistleError):
    """The workflow could not run on (a condition or timer failed); nothing was saved."""

    code = "process_failed"


@dataclass(frozen=True)
class FieldError:
    """One invalid field of submitted data."""

    field: str
    template: str
    code: str = "invalid"
    params: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def message(self) -> str:
        """The English message with parameters filled in."""
        return render(self.template, self.params)


class InvalidInput(WhistleError):
    """Submitted data is invalid; nothing was changed."""

    code = "invalid_input"

    def __init__(self, template: str, /, errors: list[FieldError] | None = None, **params: Any) -> None:
        super().__init__(template, **params)
        self.errors = list(errors or [])


class NeedsConfirmation(InvalidInput):
    """The data is valid, but a rule suspects a mistake (e.g. a duplicate); sending it again confirmed goes ahead."""

    code = "needs_confirmation"


class Severity(enum.StrEnum):
    """Errors refuse a deploy; warnings are shown and the deploy goes ahead."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """A located problem in a deployable file: ``file:line: element: message``."""

    file: str
    line: int | None
    element: str | None
    template: str
    params: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    severity: Severity = Severity.ERROR

    @property
    def is_warning(self) -> bool:
        """Whether this only warns (the deploy goes ahead)."""
        return self.severity == Severity.WARNING

    @property
    def message(self) -> str:
        """The English message with parameters filled in."""
        return render(self.template, self.params)

    def located(self, message: str | None = None, *, warning_word: str = "warning") -> str:
        """``file:line: element: message`` (line 0 and element ``-`` when unknown); warnings say so first."""
        text = message or self.message
        if self.is_warning:
            text = f"{warning_word}: {text}"
        return f"{self.file}:{self.line or 0}: {self.element or '-'}: {text}"

    def __str__(self) -> str:
        return self.located()


class DefinitionInvalid(WhistleError):
    """A process bundle failed validation; it lists every problem found."""

    code = "definition_invalid"

    def __init__(self, problems: Iterable[Problem]) -> None:
        found = list(problems)
        errors = [p for p in found if not p.is_warning]
        super().__init__("{count} problem(s) in the process definition", count=len(errors))
        self.problems = by_place(errors)
        # Shown beside the errors, so a designer fixes everything in one round; they alone refuse nothing.
        self.warnings = by_place(p for p in found if p.is_warning)


def by_place(problems: Iterable[Problem]) -> list[Problem]:
    """Problems in file, line, element order."""
    return sorted(problems, key=lambda p: (p.file, p.line or 0, p.element or "", p.message))
