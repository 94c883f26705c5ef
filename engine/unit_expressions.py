"""Assignment expressions: which unit gets a lane's task (``street``, ``within(kind, up(district, street))`` …).

A tiny language, parsed at deploy and walked at run time; it cannot loop or call anything
else, so its cost is bounded by its length (200 characters) and depth (8).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

MAX_LENGTH = 200
MAX_DEPTH = 8

_TOKEN = re.compile(r"\s*(?:([A-Za-z0-9_][A-Za-z0-9_\-]*)|(\()|(\))|(,))")
# name -> the kinds of argument it takes: "expr" (a nested expression), "kind", "code", "var".
FUNCTIONS: dict[str, tuple[str, ...]] = {
    "unit": ("code",),
    "parent": ("expr",),
    "up": ("kind", "expr"),
    "within": ("kind", "expr"),
    "owner": ("var",),
}
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


class ExpressionInvalid(ValueError):
    """An expression that does not parse; ``template``/``params`` say why (translated by callers)."""

    def __init__(self, template: str, **params: Any) -> None:
        super().__init__(template.format(**params))
        self.template = template
        self.params = params


class NoUnit(LookupError):
    """Evaluation found no unit; ``template``/``params`` say where it stopped."""

    def __init__(self, template: str, **params: Any) -> None:
        super().__init__(template.format(**params))
        self.template = template
        self.params = params


@dataclass(frozen=True)
class Node:
    """One step of an expression: a function with its arguments, or a variable (``op == "var"``)."""

    op: str
    args: tuple[Any, ...]

    def references(self) -> tuple[set[str], set[str], set[str]]:
        """The (variables, unit kinds, unit codes) this expression names."""
        variables, kinds, codes = set(), set(), set()
        for node in self.walk():
            if node.op in ("var", "owner"):
                variables.add(node.args[0])
            elif node.op == "unit":
                codes.add(node.args[0])
            elif node.op in ("up", "within"):
                kinds.add(node.args[0])
        return variables, kinds, codes

    def walk(self) -> list[Node]:
        """This node and every node below it."""
        found = [self]
        for arg in self.args:
            if isinstance(arg, Node):
                found += arg.walk()
        return found


def parse(text: str) -> Node:
    """The expression ``text`` as a tree; ExpressionInvalid says what is wrong and where."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionInvalid("the assignment expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionInvalid("the assignment expression is longer than {limit} characters", limit=MAX_LENGTH)
    tokens = _tokens(text)
    node, rest = _expression(tokens, 0, 1)
    if rest < len(tokens):
        raise ExpressionInvalid("unexpected {token} after the expression", token=repr(tokens[rest]))
    return node


def _tokens(text: str) -> list[str]:
    tokens, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ExpressionInvalid("unexpected character {char} at {position}", char=repr(text[position]),
                                    position=position + 1)
        tokens.append(next(group for group in match.groups() if group is not None))
        position = match.end()
    return tokens


def _expression(tokens: list[str], at: int, depth: int) -> tuple[Node, int]:
    if depth > MAX_DEPTH:
        raise ExpressionInvalid("the assignment expression nests deeper than {limit}", limit=MAX_DEPTH)
    if at >= len(tokens) or tokens[at] in "(),":
        raise ExpressionInvalid("expected a variable or a function at {token}",
                                token=repr(tokens[at]) if at < len(tokens) else "the end")
    name = tokens[at]
    if at + 1 >= len(tokens) or tokens[at + 1] != "(":
        if not _VARIABLE.fullmatch(name):
            raise ExpressionInvalid("{name} is not a variable name", name=name)
        return Node("var", (name,)), at + 1
    if name not in FUNCTIONS:
        raise ExpressionInvalid("unknown function {name} (known: {known})", name=name,
                                known=", ".join(sorted(FUNCTIONS)))
    args: list[Any] = []
    at += 2
    for index, kind in enumerate(FUNCTIONS[name]):
        if index:
            if at >= len(tokens) or tokens[at] != ",":
                raise ExpressionInvalid("{name} takes {count} arguments", name=name, count=len(FUNCTIONS[name]))
            at += 1
        if kind == "expr":
            node, at = _expression(tokens, at, depth + 1)
            args.append(node)
        else:
            if at >= len(tokens) or tokens[at] in "(),":
                raise ExpressionInvalid("{name} needs a {kind} as argument {number}", name=name, kind=kind,
                                        number=index + 1)
            if kind == "var" and not _VARIABLE.fullmatch(tokens[at]):
                raise ExpressionInvalid("{name} is not a variable name", name=tokens[at])
            args.append(tokens[at][:64])
            at += 1
    if at >= len(tokens) or tokens[at] != ")":
        raise ExpressionInvalid("{name} takes {count} arguments", name=name, count=len(FUNCTIONS[name]))
    return Node(name, tuple(args)), at + 1


class Tree(Protocol):
    """What evaluation needs to know of the organisation."""

    def id_of(self, code: str) -> int | None: ...
    def parent_of(self, unit_id: int) -> int | None: ...
    def ancestor_of_kind(self, unit_id: int, kind: str) -> int | None: ...
    def within_of_kind(self, unit_id: int, kind: str) -> int | None: ...
    def owner_of(self, category: str) -> int | None: ...


def evaluate(node: Node, data: Mapping[str, Any], tree: Tree) -> int:
    """The id of the unit ``node`` names for case ``data``; NoUnit says where it stopped."""
    if node.op == "var":
        value = data.get(node.args[0])
        if not isinstance(value, str) or not value:
            raise NoUnit("the case variable {name} names no unit (value: {value})", name=node.args[0],
                         value=_shown(value))
        found = tree.id_of(value)
        if found is None:
            raise NoUnit("no unit has the code {code} (from the variable {name})", code=_shown(value),
                         name=node.args[0])
        return found
    if node.op == "unit":
        found = tree.id_of(node.args[0])
        if found is None:
            raise NoUnit("no unit has the code {code}", code=node.args[0])
        return found
    if node.op == "owner":
        value = data.get(node.args[0])
        found = tree.owner_of(value) if isinstance(value, str) else None
        if found is None:
            raise NoUnit("the category {value} (variable {name}) has no owner", value=_shown(value),
                         name=node.args[0])
        return found
    inner = evaluate(node.args[-1], data, tree)
    if node.op == "parent":
        found = tree.parent_of(inner)
        what = "parent"
    elif node.op == "up":
        found = tree.ancestor_of_kind(inner, node.args[0])
        what = f"{node.args[0]} above"
    else:
        found = tree.within_of_kind(inner, node.args[0])
        what = f"{node.args[0]} within"
    if found is None:
        raise NoUnit("there is no {what} the unit found by {inner}", what=what, inner=_text(node.args[-1]))
    return found


def _text(node: Node) -> str:
    if node.op == "var":
        return node.args[0]
    return f"{node.op}({', '.join(_text(a) if isinstance(a, Node) else str(a) for a in node.args)})"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"
