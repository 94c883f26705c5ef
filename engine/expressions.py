"""A whitelisted, cost-bounded evaluator for the expressions BPMN files carry.

Gateway conditions, timer expressions and multi-instance expressions come from uploaded
files, so they are never handed to ``eval``: they are parsed with :mod:`ast`, checked
against a short list of allowed node types, and interpreted here with a step budget and
size checks on the operations that can blow up (``**``, ``*``, ``+`` on sequences).
"""
from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.errors import render

MAX_SOURCE_LENGTH = 4000
MAX_STEPS = 20_000
MAX_INT_BITS = 4096
MAX_SEQUENCE_LENGTH = 100_000

# `${...}` is how Camunda Modeler users write expressions; the body is evaluated as ours.
_JUEL_WRAPPER = re.compile(r"^\s*\$\{(.*)\}\s*$", re.DOTALL)
_LITERAL_NAMES = {"true": True, "false": False, "null": None, "True": True, "False": False, "None": None}
_SAFE_METHODS = {
    str: {"startswith", "endswith", "lower", "upper", "strip", "split", "count", "find"},
    dict: {"get", "keys", "values", "items"},
    list: {"count", "index"},
    tuple: {"count", "index"},
}
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.Not: operator.not_,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}
_ALLOWED_NODES = (
    ast.Expression, ast.Constant, ast.Name, ast.Load, ast.List, ast.Tuple, ast.Dict, ast.Set,
    ast.BoolOp, ast.And, ast.Or, ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp,
    ast.Subscript, ast.Slice, ast.Call, ast.keyword, ast.Attribute,
    *_BINARY, *_UNARY, *_COMPARE,
)  # fmt: skip


def _numeric_sum(values: Any, start: int | float = 0) -> Any:
    """``sum`` over numbers only: summing lists would concatenate without a bound."""
    if not isinstance(start, int | float):
        raise TypeError("sum() adds numbers only")
    total = start
    for value in values:
        if not isinstance(value, int | float):
            raise TypeError("sum() adds numbers only")
        total += value
    return total


DEFAULT_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": len,
    "min": min,
    "max": max,
    "sum": _numeric_sum,
    "abs": abs,
    "round": round,
    "int": int,
    "float": float,
    "str": str,
    "bool": bool,
    "sorted": sorted,
    "any": any,
    "all": all,
}


class ExpressionError(Exception):
    """An expression is refused, does not parse, or failed while it ran.

    Like the engine's other errors it carries an English template and its parameters.
    """

    def __init__(self, template: str, expression: str = "", **params: Any) -> None:
        self.template = template
        self.params = params
        self.expression = expression
        super().__init__(render(template, params))

    @property
    def message(self) -> str:
        """The English message with parameters filled in."""
        return render(self.template, self.params)


def unwrap(source: str) -> str:
    """Strip a ``${...}`` wrapper and surrounding blanks."""
    match = _JUEL_WRAPPER.match(source)
    return (match.group(1) if match else source).strip()


@dataclass
class Evaluator:
    """Checks and evaluates expressions over a mapping of variables."""

    functions: Mapping[str, Callable[..., Any]] = field(default_factory=lambda: dict(DEFAULT_FUNCTIONS))
    max_steps: int = MAX_STEPS
    _cache: dict[str, ast.Expression] = field(default_factory=dict, repr=False)

    def with_functions(self, **extra: Callable[..., Any]) -> Evaluator:
        """A copy that also offers ``extra`` functions (e.g. ``work_hours``)."""
        return Evaluator(functions={**self.functions, **extra}, max_steps=self.max_steps)

    def compile(self, source: str) -> ast.Expression:
        """Parse and check ``source``; raise :class:`ExpressionError` saying what is refused."""
        cached = self._cache.get(source)
        if cached is not None:
            return cached
        text = unwrap(source)
        if not text:
            raise ExpressionError("the expression is empty", source)
        if len(text) > MAX_SOURCE_LENGTH:
            raise ExpressionError("the expression is longer than {limit} characters", source, limit=MAX_SOURCE_LENGTH)
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as error:
            raise ExpressionError("does not parse: {reason} (column {column})", source, reason=error.msg,
                                  column=error.offset) from None
        except (ValueError, RecursionError, MemoryError):
            raise ExpressionError("does not parse", source) from None
        for node in ast.walk(tree):
            self._check_node(node, source)
        if len(self._cache) < 4096:
            self._cache[source] = tree
        return tree

    def _check_node(self, node: ast.AST, source: str) -> None:
        if not isinstance(node, _ALLOWED_NODES):
            raise ExpressionError("{construct} is not allowed in expressions", source, construct=type(node).__name__)
        if isinstance(node, ast.Attribute):
            if node.attr.startswith("_") or not any(node.attr in names for names in _SAFE_METHODS.values()):
                raise ExpressionError("attribute .{name} is not allowed", source, name=node.attr)
        if isinstance(node, ast.Name) and node.id.startswith("__"):
            raise ExpressionError("name {name} is not allowed", source, name=node.id)
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                if func.id not in self.functions:
                    raise ExpressionError("unknown function {name}", source, name=func.id)
            elif not isinstance(func, ast.Attribute):
                raise ExpressionError("only named functions may be called", source)
        if isinstance(node, ast.Constant) and isinstance(node.value, bytes | complex):
            raise ExpressionError("bytes and complex literals are not allowed", source)

    def check(self, source: str) -> None:
        """Raise :class:`ExpressionError` when ``source`` would be refused."""
        self.compile(source)

    def evaluate(self, source: str, variables: Mapping[str, Any]) -> Any:
        """Evaluate ``source`` with ``variables``; every failure is an :class:`ExpressionError`."""
        tree = self.compile(source)
        run = _Run(self, variables, source)
        try:
            return run.visit(tree.body)
        except ExpressionError:
            raise
        except RecursionError:
            raise ExpressionError("the expression nests too deeply", source) from None
        except Exception as error:  # a data error inside an allowed operation: say which
            raise ExpressionError("{kind}: {reason}", source, kind=type(error).__name__, reason=str(error)) from None


class _Run:
    """One evaluation: walks the checked tree and spends the step budget."""

    def __init__(self, evaluator: Evaluator, variables: Mapping[str, Any], source: str) -> None:
        self.evaluator = evaluator
        self.variables = variables
        self.source = source
        self.steps = 0

    def fail(self, template: str, **params: Any) -> ExpressionError:
        return ExpressionError(template, self.source, **params)

    def visit(self, node: ast.AST) -> Any:
        self.steps += 1
        if self.steps > self.evaluator.max_steps:
            raise self.fail("the expression is too expensive to evaluate")
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is None:
            raise self.fail("{construct} is not allowed in expressions", construct=type(node).__name__)
        return method(node)

    def visit_Constant(self, node: ast.Constant) -> Any:
        return node.value

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id in self.variables:
            return self.variables[node.id]
        if node.id in _LITERAL_NAMES:
            return _LITERAL_NAMES[node.id]
        raise self.fail("{name} is not defined", name=node.id)

    def visit_List(self, node: ast.List) -> list[Any]:
        return [self.visit(e) for e in node.elts]

    def visit_Tuple(self, node: ast.Tuple) -> tuple[Any, ...]:
        return tuple(self.visit(e) for e in node.elts)

    def visit_Set(self, node: ast.Set) -> set[Any]:
        return {self.visit(e) for e in node.elts}

    def visit_Dict(self, node: ast.Dict) -> dict[Any, Any]:
        if any(k is None for k in node.keys):
            raise self.fail("'**' in dict literals is not allowed")
        return {self.visit(k): self.visit(v) for k, v in zip(node.keys, node.values, strict=True)}  # type: ignore[arg-type]

    def visit_BoolOp(self, node: ast.BoolOp) -> Any:
        value: Any = None
        for operand in node.values:
            value = self.visit(operand)
            if isinstance(node.op, ast.And) and not value:
                return value
            if isinstance(node.op, ast.Or) and value:
                return value
        return value

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:
        return _UNARY[type(node.op)](self.visit(node.operand))

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.visit(node.left), self.visit(node.right)
        self._bound(type(node.op), left, right)
        return _BINARY[type(node.op)](left, right)

    def _bound(self, op: type[ast.operator], left: Any, right: Any) -> None:
        """Refuse operations whose result would be huge before computing them."""
        if op is ast.Pow and _is_int(left) and _is_int(right):
            if right > MAX_INT_BITS or (abs(left) > 1 and left.bit_length() * right > MAX_INT_BITS):
                raise self.fail("the power is too large")
        elif op is ast.Mult:
            if _is_int(left) and _is_int(right):
                if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                    raise self.fail("the product is too large")
            elif isinstance(left, str | list | tuple) and _is_int(right):
                if _weight(left) * max(right, 0) > MAX_SEQUENCE_LENGTH:
                    raise self.fail("the repeated sequence is too long")
            elif isinstance(right, str | list | tuple) and _is_int(left):
                if _weight(right) * max(left, 0) > MAX_SEQUENCE_LENGTH:
                    raise self.fail("the repeated sequence is too long")
        elif op is ast.Mod and isinstance(left, str | bytes):
            raise self.fail("string formatting with '%' is not allowed")
        elif op is ast.Add and isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
            if _weight(left) + _weight(right) > MAX_SEQUENCE_LENGTH:
                raise self.fail("the joined sequence is too long")

    def visit_Compare(self, node: ast.Compare) -> bool:
        left = self.visit(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.visit(comparator)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True

    def visit_IfExp(self, node: ast.IfExp) -> Any:
        return self.visit(node.body) if self.visit(node.test) else self.visit(node.orelse)

    def visit_Subscript(self, node: ast.Subscript) -> Any:
        return self.visit(node.value)[self.visit(node.slice)]

    def visit_Slice(self, node: ast.Slice) -> slice:
        def part(n: ast.expr | None) -> Any:
            return None if n is None else self.visit(n)

        return slice(part(node.lower), part(node.upper), part(node.step))

    def visit_Call(self, node: ast.Call) -> Any:
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            raise self.fail("'*' and '**' arguments are not allowed")
        args = [self.visit(a) for a in node.args]
        kwargs = {k.arg: self.visit(k.value) for k in node.keywords if k.arg}
        if isinstance(node.func, ast.Attribute):
            target = self.visit(node.func.value)
            allowed = _SAFE_METHODS.get(type(target), set())
            if node.func.attr not in allowed:
                raise self.fail(".{name}() is not allowed on {kind}", name=node.func.attr, kind=type(target).__name__)
            return getattr(target, node.func.attr)(*args, **kwargs)
        assert isinstance(node.func, ast.Name)
        return self.evaluator.functions[node.func.id](*args, **kwargs)

    def visit_Attribute(self, node: ast.Attribute) -> Any:
        raise self.fail("attribute .{name} may only be called", name=node.attr)


def _weight(value: Any, limit: int = MAX_SEQUENCE_LENGTH) -> int:
    """Elements reachable in a nested value (counting shared ones each time), capped above ``limit``.

    ``[[1] * 99999] * 99999`` holds few objects but ten billion reachable elements, which
    ``str``, ``sorted`` or ``==`` would then walk; the weight sees that before it exists.
    """
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item) or 1
        elif isinstance(item, list | tuple | set | frozenset):
            total += len(item) or 1
            stack.extend(item)
        elif isinstance(item, dict):
            total += len(item) or 1
            stack.extend(item.values())
        else:
            total += 1
        if total > limit:
            return limit + 1
    return total


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
