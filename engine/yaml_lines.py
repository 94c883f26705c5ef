"""The one YAML reader of the product: a hardened safe subset that remembers the line of every key.

Every YAML file whistle reads (pack.yaml, policies, calendars, the district) goes through :func:`load`.
Anchors and aliases are refused: a few hundred bytes of nested aliases expand to millions
of values (a "billion laughs"), and nothing whistle reads needs them. Documents are also
capped in size and nesting, and every refusal is a :class:`YamlError` with its line.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from engine.errors import DefinitionInvalid, Problem

# Change these here; every reader of YAML shares them.
MAX_CHARACTERS = 512 * 1024  # the district file, the largest shipped, is about 9 KB
MAX_DEPTH = 32  # nested mappings and lists; the shipped files go 4 deep
QUOTED_LENGTH = 60  # how much of a value an error message repeats
MESSAGE_LENGTH = 200  # how much of the parser's own message is kept


class LocatedDict(dict[str, Any]):
    """A mapping read from YAML, with the line it starts on and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        """The line of ``key`` (or of the mapping when the key is absent)."""
        return self.key_lines.get(key, self.line)


# Messages, English ids translated where they are shown.
_MESSAGES = {
    "syntax": "not valid YAML: {reason}",
    "alias": "aliases (*name) are not allowed in YAML files",
    "anchor": "anchors (&name) are not allowed in YAML files",
    "depth": "nested more than {limit} levels deep",
    "size": "the file is longer than {limit} KB",
    "value": "a value cannot be read: {reason}",
}


class YamlError(ValueError):
    """The text is not valid YAML, or not YAML whistle accepts; carries the line and a translatable template."""

    def __init__(self, code: str, line: int, **params: Any) -> None:
        self.code = code
        self.line = line
        self.template = _MESSAGES[code]
        self.params = params
        super().__init__(self.template.format(**params))


class _Refused(yaml.MarkedYAMLError):
    """YAML that is valid but not accepted here (aliases, anchors, too deep)."""

    def __init__(self, code: str, mark: yaml.Mark) -> None:
        super().__init__(problem=code, problem_mark=mark)
        self.code = code


class _LineLoader(yaml.SafeLoader):
    """SafeLoader whose mappings are :class:`LocatedDict`, refusing aliases, anchors and deep nesting."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        """Compose one node, refusing what could make the document grow or recurse without bound."""
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _Refused("alias", event.start_mark)
        if getattr(event, "anchor", None) is not None:
            raise _Refused("anchor", event.start_mark)
        if self._depth >= MAX_DEPTH:
            raise _Refused("depth", event.start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            self._depth -= 1


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LocatedDict:
    loader.flatten_mapping(node)
    mapping = LocatedDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        mapping[str(key)] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[str(key)] = key_node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load(text: str) -> Any:
    """Parse YAML (safe subset, no aliases, bounded size and depth) keeping line numbers on mappings."""
    if len(text) > MAX_CHARACTERS:
        raise YamlError("size", 1, limit=MAX_CHARACTERS // 1024)
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except _Refused as error:
        line = error.problem_mark.line + 1 if error.problem_mark else 1
        raise YamlError(error.code, line, limit=MAX_DEPTH) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise YamlError("syntax", (mark.line + 1) if mark else 1,
                        reason=_short(str(error.problem or error.context or error), MESSAGE_LENGTH)) from None
    except yaml.YAMLError as error:
        raise YamlError("syntax", 1, reason=_short(str(error), MESSAGE_LENGTH)) from None
    except (ValueError, RecursionError) as error:  # e.g. an integer with thousands of digits
        raise YamlError("value", 1, reason=_short(str(error), MESSAGE_LENGTH)) from None


def quoted(value: object) -> str:
    """A value as an error message may repeat it: cut short, whatever its size."""
    if isinstance(value, str | int | float | bool | date) or value is None:
        if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
            return "…"  # str() of a huge integer costs, and may refuse
        text = str(value)
    else:
        text = f"({type(value).__name__})"  # never walk a list or mapping to show it
    return _short(text)


def _short(text: str, limit: int = QUOTED_LENGTH) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def read_file(path: Path, limit: int) -> Any:
    """A small YAML file of a pack, parsed with lines; DefinitionInvalid, located, when it cannot be read."""
    name = str(path)
    try:
        raw = path.read_bytes()[: limit + 1]
        if len(raw) > limit:
            raise DefinitionInvalid([Problem(name, 1, None, "the file is larger than {limit} bytes", {"limit": limit})])
        return load(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise DefinitionInvalid([Problem(name, None, None, "cannot read the file: {reason}",
                                         {"reason": quoted(str(error))})]) from None
    except YamlError as error:
        raise DefinitionInvalid([Problem(name, error.line, None, error.template, error.params)]) from None


@dataclass
class Settings:
    """A pack's settings file (public.yaml, consultation.yaml) as read: its keys with their lines, and the
    located problems found in it so far."""

    name: str
    data: LocatedDict
    problems: list[Problem] = field(default_factory=list)

    def say(self, at: str, template: str, /, **params: Any) -> None:
        """A problem located at key ``at``'s line (the first line when it is missing); ``params`` may hold ``key``."""
        self.problems.append(Problem(self.name, self.data.line_of(at) if at in self.data else 1, at, template,
                                     {k: quoted(v) for k, v in params.items()}))


def read_settings(path: Path, limit: int, keys: Sequence[str]) -> Settings:
    """The file's top-level mapping with its unknown keys reported; DefinitionInvalid when it is no mapping."""
    data = read_file(path, limit)
    if not isinstance(data, LocatedDict):
        raise DefinitionInvalid([Problem(str(path), 1, None, "{file} must be a mapping of {keys}",
                                         {"file": path.name, "keys": ", ".join(keys)})])
    found = Settings(str(path), data)
    for key in data:
        if key not in keys:
            found.say(key, "{file} takes no key {key}; it takes {allowed}", file=path.name, key=key,
                      allowed=", ".join(keys))
    return found
