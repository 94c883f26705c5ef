"""DMN 1.3 decision tables: read with located problems, checked with the safe evaluator, decided on case data.

A designer draws a table in dmn-js or Camunda Modeler. Its input expressions and output entries
are expressions of the engine's own evaluator (``category``, ``"CGW"``, ``priority + 1``); its
input entries are the unary tests most tables use, read here and never handed to Python:

    -  or empty          any value
    "text", "other"      one of these values (numbers and true/false too)
    < 5   <= 5   > 5   >= 5   [1..5]   (1..5)   ]1..5[   ranges, ends included with [ ]
    not("text", …)       none of these

Anything else is refused at deploy with the rule and the column named, so a table that deploys
decides the same way every time. Hit policies: UNIQUE (more than one match is an error),
FIRST, ANY (matches must agree), RULE ORDER and COLLECT (every match, in order).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.bpmn_xml import parse_model
from engine.errors import Problem, Text
from engine.expression_limits import ExpressionError
from engine.expressions import Evaluator

DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"
_NS = {"dmn": DMN_NS}
MAX_RULES = 2000
MAX_COLUMNS = 30
MAX_CELL = 500
HIT_POLICIES = ("UNIQUE", "FIRST", "ANY", "RULE ORDER", "COLLECT")
_COMPARISON = re.compile(r"^(<=|>=|<|>)\s*(.+)$", re.DOTALL)
_RANGE = re.compile(r"^([\[\]\(])\s*(.+?)\s*\.\.\s*(.+?)\s*([\[\]\)])$", re.DOTALL)
_NOT = re.compile(r"^not\s*\((.*)\)$", re.DOTALL)
_FEEL_WORDS = {"true": "True", "false": "False", "null": "None"}


class DecisionError(Exception):
    """A table could not decide (no value fits UNIQUE, an input expression failed); says which table and rule."""

    def __init__(self, template: str, **params: Any) -> None:
        self.template, self.params = template, params
        super().__init__(template.format(**params))


@dataclass(frozen=True)
class Test:
    """One input entry, read: ``kind`` any / one_of / none_of / compare / range, with its literal operands."""

    kind: str
    values: tuple[Any, ...] = ()
    operator: str = ""
    closed: tuple[bool, bool] = (True, True)

    def matches(self, value: Any) -> bool:
        """Whether ``value`` passes the test (a value of another type than the operands never does)."""
        if self.kind == "any":
            return True
        if self.kind in ("one_of", "none_of"):
            found = any(_same(value, v) for v in self.values)
            return found if self.kind == "one_of" else not found
        try:
            if self.kind == "compare":
                bound = self.values[0]
                return {"<": value < bound, "<=": value <= bound, ">": value > bound,
                        ">=": value >= bound}[self.operator]
            low, high = self.values
            above = value >= low if self.closed[0] else value > low
            return above and (value <= high if self.closed[1] else value < high)
        except TypeError:
            return False


@dataclass(frozen=True)
class Rule:
    """A row: its tests (one per input column) and output expressions (one per output column)."""

    id: str
    row: int
    line: int | None
    tests: tuple[Test, ...]
    outputs: tuple[str, ...]


@dataclass(frozen=True)
class DecisionTable:
    """One decision's table, ready to decide."""

    id: str
    name: str
    hit_policy: str
    inputs: tuple[str, ...]  # input expressions
    input_labels: tuple[str, ...]
    outputs: tuple[str, ...]  # output names (the result's keys)
    rules: tuple[Rule, ...]


def read(data: bytes, filename: str, evaluator: Evaluator) -> tuple[list[DecisionTable], list[Problem]]:
    """Every decision table of a DMN file, or the problems that keep it from deploying, each located."""
    tree, problems = parse_model(data, filename, f"{{{DMN_NS}}}definitions",
                                 "not a DMN 1.3 file: the root element is {found}, expected definitions in the "
                                 "DMN 1.3 model namespace")
    if tree is None:
        return [], problems
    tables: list[DecisionTable] = []
    seen: set[str] = set()
    for decision in tree.getroot().findall("dmn:decision", _NS):
        table = decision.find("dmn:decisionTable", _NS)
        decision_id = decision.get("id") or ""
        if table is None:
            problems.append(Problem(filename, decision.sourceline, decision_id or None,
                                    "only decision tables are supported (no literal expressions or requirements)"))
            continue
        if decision_id in seen or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]{0,127}", decision_id):
            problems.append(Problem(filename, decision.sourceline, decision_id or None,
                                    "a decision needs a unique id of letters, digits, _ . - (at most 128)"))
            continue
        seen.add(decision_id)
        found = _table(filename, decision, table, evaluator, problems)
        if found is not None:
            tables.append(found)
    if not tables and not problems:
        problems.append(Problem(filename, tree.getroot().sourceline, None, "the file holds no decision"))
    return tables, problems


def _table(filename: str, decision: Any, table: Any, evaluator: Evaluator,
           problems: list[Problem]) -> DecisionTable | None:
    decision_id = decision.get("id")
    before = len(problems)

    def problem(node: Any, template: str, **params: Any) -> None:
        problems.append(Problem(filename, node.sourceline, decision_id, template, params))

    policy = (table.get("hitPolicy") or "UNIQUE").upper()
    if policy not in HIT_POLICIES or table.get("aggregation"):
        problem(table, "hit policy {policy} is not supported (use {known})", policy=policy,
                known=", ".join(HIT_POLICIES))
    inputs, labels = [], []
    for column, node in enumerate(table.findall("dmn:input", _NS), start=1):
        label = node.get("label") or node.get("id") or str(column)
        text = (node.findtext("dmn:inputExpression/dmn:text", default="", namespaces=_NS) or "").strip()
        if not text:
            problem(node, "input column {column} ({label}) has no input expression", column=column, label=label)
        elif (refused := _refusal(evaluator, text)) is not None:
            problem(node, "input column {column} ({label}): {reason}", column=column, label=label, reason=refused)
        inputs.append(_feel(text))
        labels.append(label)
    outputs = []
    for column, node in enumerate(table.findall("dmn:output", _NS), start=1):
        name = node.get("name") or ""
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,63}", name):
            problem(node, "output column {column} needs a name that is a variable name (letters, digits, _)",
                    column=column)
        outputs.append(name)
    if not outputs:
        problem(table, "the table has no output column")
    if len(inputs) > MAX_COLUMNS or len(outputs) > MAX_COLUMNS:
        problem(table, "a table has at most {limit} input and {limit} output columns", limit=MAX_COLUMNS)
    rules = []
    for row, node in enumerate(table.findall("dmn:rule", _NS), start=1):
        if row > MAX_RULES:
            problem(node, "a table has at most {limit} rules", limit=MAX_RULES)
            break
        rule = _rule(node, row, labels, outputs, evaluator, problem)
        if rule is not None:
            rules.append(rule)
    if len(problems) > before:
        return None
    return DecisionTable(decision_id, decision.get("name") or decision_id, policy, tuple(inputs), tuple(labels),
                         tuple(outputs), tuple(rules))


def _rule(node: Any, row: int, labels: list[str], outputs: list[str], evaluator: Evaluator,
          problem: Any) -> Rule | None:
    entries = node.findall("dmn:inputEntry", _NS)
    results = node.findall("dmn:outputEntry", _NS)
    if len(entries) != len(labels) or len(results) != len(outputs):
        problem(node, "rule {row}: {entries} input and {results} output entries for {inputs} input and "
                "{outputs} output columns", row=row, entries=len(entries), results=len(results),
                inputs=len(labels), outputs=len(outputs))
        return None
    tests, failed = [], False
    for column, entry in enumerate(entries, start=1):
        text = (entry.findtext("dmn:text", default="", namespaces=_NS) or "").strip()
        try:
            tests.append(read_test(text))
        except ValueError as error:
            problem(entry, "rule {row}, input column {column} ({label}): {cell} is not a test this engine reads "
                    "({reason})", row=row, column=column, label=labels[column - 1], cell=text[:80], reason=str(error))
            failed = True
    texts = []
    for column, entry in enumerate(results, start=1):
        text = _feel((entry.findtext("dmn:text", default="", namespaces=_NS) or "").strip())
        if text and (refused := _refusal(evaluator, text)) is not None:
            problem(entry, "rule {row}, output column {column} ({name}): {reason}", row=row, column=column,
                    name=outputs[column - 1], reason=refused)
        texts.append(text)
    if failed:
        return None
    return Rule(node.get("id") or f"row {row}", row, node.sourceline, tuple(tests), tuple(texts))


def _refusal(evaluator: Evaluator, text: str) -> Text | None:
    """Why the evaluator refuses a cell's expression (translated where it is shown), or None."""
    if len(text) > MAX_CELL:
        return Text("the expression is longer than {limit} characters", {"limit": MAX_CELL})
    try:
        evaluator.check(_feel(text))
    except ExpressionError as error:
        return Text(error.template, error.params)
    return None


def read_test(text: str) -> Test:
    """An input entry as a test; ValueError saying what is wrong when it is not one this engine reads."""
    if len(text) > MAX_CELL:
        raise ValueError(f"longer than {MAX_CELL} characters")
    if text in ("", "-"):
        return Test("any")
    negated = _NOT.match(text)
    if negated:
        return Test("none_of", _literals(negated.group(1)))
    compared = _COMPARISON.match(text)
    if compared:
        return Test("compare", (_number(compared.group(2)),), compared.group(1))
    ranged = _RANGE.match(text)
    if ranged:
        low, high = _number(ranged.group(2)), _number(ranged.group(3))
        return Test("range", (low, high), closed=(ranged.group(1) == "[", ranged.group(4) == "]"))
    return Test("one_of", _literals(text))


def _literals(text: str) -> tuple[Any, ...]:
    """A comma-separated list of literals: "text", numbers, true, false."""
    values, rest = [], text.strip()
    token = re.compile(r'\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false)\s*(,|$)')
    while rest:
        found = token.match(rest)
        if found is None:
            raise ValueError('use "text", numbers, true or false, separated by commas')
        values.append(_literal(found.group(1)))
        rest = rest[found.end():]
    if not values:
        raise ValueError("an empty list")
    return tuple(values)


def _literal(text: str) -> Any:
    if text.startswith('"'):
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    if text in ("true", "false"):
        return text == "true"
    return float(text) if "." in text else int(text)


def _number(text: str) -> int | float:
    value = text.strip()
    if not re.fullmatch(r"-?\d+(?:\.\d+)?", value):
        raise ValueError("compare with numbers only")
    return float(value) if "." in value else int(value)


def _same(value: Any, literal: Any) -> bool:
    """Equality that keeps true apart from 1."""
    return type(value) is type(literal) and value == literal if isinstance(literal, bool) or isinstance(
        value, bool) else value == literal


def _feel(text: str) -> str:
    """FEEL's true/false/null as the evaluator writes them (outside quotes)."""
    parts = re.split(r'("(?:[^"\\]|\\.)*")', text)
    return "".join(p if p.startswith('"') else re.sub(r"\b(true|false|null)\b", lambda m: _FEEL_WORDS[m.group(1)], p)
                   for p in parts)


def decide(table: DecisionTable, data: Mapping[str, Any], evaluator: Evaluator) -> Any:
    """The table's result for ``data``: a dict of outputs (UNIQUE, FIRST, ANY; None when no rule matches),
    or a list of them (RULE ORDER, COLLECT). DecisionError when an expression fails or UNIQUE/ANY disagree."""
    try:
        values = [evaluator.evaluate(text, data) if text else None for text in table.inputs]
    except ExpressionError as error:
        raise DecisionError("decision {decision}: an input expression failed: {reason}",
                            decision=table.id, reason=error.message) from None
    matched = []
    for rule in table.rules:
        if all(test.matches(value) for test, value in zip(rule.tests, values, strict=True)):
            matched.append(rule)
            if table.hit_policy == "FIRST":
                break
    results = [_outputs(table, rule, data, evaluator) for rule in matched]
    if table.hit_policy in ("RULE ORDER", "COLLECT"):
        return results
    if table.hit_policy == "UNIQUE" and len(matched) > 1:
        raise DecisionError("decision {decision}: rules {rows} all match, and its hit policy is UNIQUE",
                            decision=table.id, rows=", ".join(str(r.row) for r in matched))
    if table.hit_policy == "ANY" and any(r != results[0] for r in results):
        raise DecisionError("decision {decision}: matching rules {rows} disagree, and its hit policy is ANY",
                            decision=table.id, rows=", ".join(str(r.row) for r in matched))
    return results[0] if results else None


def _outputs(table: DecisionTable, rule: Rule, data: Mapping[str, Any], evaluator: Evaluator) -> dict[str, Any]:
    try:
        return {name: evaluator.evaluate(text, data) if text else None
                for name, text in zip(table.outputs, rule.outputs, strict=True)}
    except ExpressionError as error:
        raise DecisionError("decision {decision}, rule {row}: an output failed: {reason}",
                            decision=table.id, row=rule.row, reason=error.message) from None

