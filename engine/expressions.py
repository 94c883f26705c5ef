"""A whitelisted, cost-bounded evaluator for the expressions BPMN files carry.

Gateway conditions, timer expressions and multi-instance expressions come from uploaded
files, so they are never handed to ``eval``: they are parsed with :mod:`ast`, checked
against a short list of allowed node types, and interpreted here. Each evaluation has a
step budget and a wall-clock deadline (:mod:`engine.expression_limits`); every operator
and every function (:mod:`engine.expression_functions`) is bounded by its operands before
it runs, so no single step can outlast the deadline.
"""
from __future__ import annotations

import ast
import operator
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from engine.expression_functions import DEFAULT_FUNCTIONS, METHOD_NAMES, admit, call, call_method
from engine.expression_limits import (
    MAX_INT_BITS,
    MAX_MULTI_INSTANCE,
    MAX_SEQUENCE_LENGTH,
    MAX_SOURCE_LENGTH,
    MAX_STEPS,
    TIME_LIMIT,
    Budget,
    ExpressionError,
    Limits,
    check_number,
    is_int,
    weight,
)

__all__ = [
    "DEFAULT_FUNCTIONS", "LITERAL_NAMES", "MAX_MULTI_INSTANCE", "Budget", "Evaluator", "ExpressionError", "unwrap",
]

# `${...}` is how Camunda Modeler users write expressions; the body is evaluated as ours.
_JUEL_WRAPPER = re.compile(r"^\s*\$\{(.*)\}\s*$", re.DOTALL)
LITERAL_NAMES = {"true": True, "false": False, "null": None, "True": True, "False": False, "None": None}
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
_SCALARS = (int, float, bool, type(None))
_INDEXES = (*_SCALARS, slice)


@dataclass
class Evaluator:
    """Checks and evaluates expressions over a mapping of variables.

    ``max_instances`` is the bound on multi-instance counts: the expressions that compute
    them run here, and the engine and the deploy check read the bound from here.
    """

    functions: Mapping[str, Callable[..., Any]] = field(default_factory=lambda: dict(DEFAULT_FUNCTIONS))
    max_steps: int = MAX_STEPS
    time_limit: float = TIME_LIMIT
    max_instances: int = MAX_MULTI_INSTANCE
    clock: Callable[[], float] = time.monotonic
    _cache: dict[str, ast.Expression] = field(default_factory=dict, repr=False)

    def with_functions(self, **extra: Callable[..., Any]) -> Evaluator:
        """A copy that also offers ``extra`` functions (e.g. ``work_hours``)."""
        return replace(self, functions={**self.functions, **extra}, _cache={})

    def with_limits(self, **limits: Any) -> Evaluator:
        """A copy with other bounds (``max_steps``, ``time_limit``, ``max_instances``, ``clock``)."""
        return replace(self, _cache={}, **limits)

    @property
    def limits(self) -> Limits:
        """The per-evaluation bounds."""
        return Limits(self.max_steps, self.time_limit, self.clock)

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
            if node.attr.startswith("_") or node.attr not in METHOD_NAMES:
                raise ExpressionError("attribute .{name} is not allowed", source, name=node.attr)
        if isinstance(node, ast.Name) and node.id.startswith("__"):
            # Hosts put __builtins__ and the like into the variables they pass; never reach them.
            raise ExpressionError("name {name} is not allowed", source, name=node.id)
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                if func.id not in self.functions:
                    raise ExpressionError("unknown function {name}", source, name=func.id)
            elif not isinstance(func, ast.Attribute):
                raise ExpressionError("only named functions may be called", source)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bytes | complex):
                raise ExpressionError("bytes and complex literals are not allowed", source)
            if is_int(node.value) and node.value.bit_length() > MAX_INT_BITS:
                raise ExpressionError("the number is too large (more than {bits} bits)", source, bits=MAX_INT_BITS)

    def check(self, source: str) -> None:
        """Raise :class:`ExpressionError` when ``source`` would be refused."""
        self.compile(source)

    def evaluate(self, source: str, variables: Mapping[str, Any], budget: Budget | None = None) -> Any:
        """Evaluate ``source`` with ``variables``; every failure is an :class:`ExpressionError`.

        ``budget`` lets a caller share one budget between evaluations or read what was spent.
        """
        tree = self.compile(source)
        run = _Run(self, variables, source, budget or Budget(self.limits))
        try:
            return run.visit(tree.body)
        except ExpressionError as error:
            error.expression = error.expression or source
            raise
        except RecursionError:
            raise ExpressionError("the expression nests too deeply", source) from None
        except MemoryError:
            raise ExpressionError("the expression is too expensive to evaluate", source) from None
        except Exception as error:  # a data error inside an allowed operation: say which
            raise ExpressionError("{kind}: {reason}", source, kind=type(error).__name__,
                                  reason=_short(str(error))) from None


def unwrap(source: str) -> str:
    """Strip a ``${...}`` wrapper and surrounding blanks."""
    match = _JUEL_WRAPPER.match(source)
    return (match.group(1) if match else source).strip()


def _short(text: str, limit: int = 200) -> str:
    # A data error may quote a huge value (KeyError of a long key): messages stay readable.
    return text if len(text) <= limit else text[:limit] + "…"


class _Run:
    """One evaluation: walks the checked tree and spends the budget."""

    def __init__(self, evaluator: Evaluator, variables: Mapping[str, Any], source: str, budget: Budget) -> None:
        self.evaluator = evaluator
        self.variables = variables
        self.source = source
        self.budget = budget

    def fail(self, template: str, **params: Any) -> ExpressionError:
        return ExpressionError(template, self.source, **params)

    def visit(self, node: ast.AST) -> Any:
        self.budget.charge()
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is None:
            raise self.fail("{construct} is not allowed in expressions", construct=type(node).__name__)
        return method(node)

    def visit_Constant(self, node: ast.Constant) -> Any:
        return node.value

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id in self.variables:
            return self.variables[node.id]
        if node.id in LITERAL_NAMES:
            return LITERAL_NAMES[node.id]
        raise self.fail("{name} is not defined", name=node.id)

    def visit_List(self, node: ast.List) -> list[Any]:
        return admit(self.budget, [self.visit(e) for e in node.elts])

    def visit_Tuple(self, node: ast.Tuple) -> tuple[Any, ...]:
        return admit(self.budget, tuple(self.visit(e) for e in node.elts))

    def visit_Set(self, node: ast.Set) -> set[Any]:
        elements = [self.visit(e) for e in node.elts]
        self.budget.charge_weight(elements)  # hashing walks each element
        return admit(self.budget, set(elements))

    def visit_Dict(self, node: ast.Dict) -> dict[Any, Any]:
        if any(k is None for k in node.keys):
            raise self.fail("'**' in dict literals is not allowed")
        keys = [self.visit(k) for k in node.keys]  # type: ignore[arg-type]
        self.budget.charge_weight(keys)
        return admit(self.budget, dict(zip(keys, [self.visit(v) for v in node.values], strict=True)))

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
        return check_number(_UNARY[type(node.op)](self.visit(node.operand)))

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.visit(node.left), self.visit(node.right)
        self._bound(type(node.op), left, right)
        return admit(self.budget, _BINARY[type(node.op)](left, right))

    def _bound(self, op: type[ast.operator], left: Any, right: Any) -> None:
        """Refuse operations whose result would be huge before computing them, and charge the rest."""
        if op is ast.Pow and is_int(left) and is_int(right):
            if right > MAX_INT_BITS or (abs(left) > 1 and left.bit_length() * right > MAX_INT_BITS):
                raise self.fail("the power is too large")
        elif op is ast.Mult:
            if is_int(left) and is_int(right):
                if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                    raise self.fail("the product is too large")
            elif isinstance(left, str | list | tuple) and is_int(right):
                if weight(left) * max(right, 0) > MAX_SEQUENCE_LENGTH:
                    raise self.fail("the repeated sequence is too long")
            elif isinstance(right, str | list | tuple) and is_int(left):
                if weight(right) * max(left, 0) > MAX_SEQUENCE_LENGTH:
                    raise self.fail("the repeated sequence is too long")
        elif op is ast.Mod and isinstance(left, str | bytes):
            raise self.fail("string formatting with '%' is not allowed")
        elif op is ast.Add and isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
            if weight(left) + weight(right) > MAX_SEQUENCE_LENGTH:
                raise self.fail("the joined sequence is too long")
        if not (isinstance(left, _SCALARS) and isinstance(right, _SCALARS)):
            self.budget.charge_weight(left, right)  # set difference, joins: linear in the operands

    def visit_Compare(self, node: ast.Compare) -> bool:
        left = self.visit(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.visit(comparator)
            if not (isinstance(left, _SCALARS) and isinstance(right, _SCALARS)):
                # Comparing or searching nested values walks them: pay for both sides.
                self.budget.charge_weight(left, right)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True

    def visit_IfExp(self, node: ast.IfExp) -> Any:
        return self.visit(node.body) if self.visit(node.test) else self.visit(node.orelse)

    def visit_Subscript(self, node: ast.Subscript) -> Any:
        value, index = self.visit(node.value), self.visit(node.slice)
        if not isinstance(index, _INDEXES):
            self.budget.charge_weight(index)  # a tuple key is hashed element by element
        result = value[index]
        if isinstance(index, slice):
            return admit(self.budget, result)
        return result

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
            return call_method(self.budget, target, node.func.attr, args, kwargs)
        assert isinstance(node.func, ast.Name)
        return call(self.evaluator.functions[node.func.id], self.budget, args, kwargs)

    def visit_Attribute(self, node: ast.Attribute) -> Any:
        raise self.fail("attribute .{name} may only be called", name=node.attr)
