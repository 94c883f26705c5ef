"""DMN decision tables: a valid table deploys and decides; a broken one is refused with the rule and
the column named; hostile expressions and hostile XML are refused before anything runs."""
from __future__ import annotations

import pytest

from engine.decision_tables import DecisionError, DecisionTable, decide, read, read_test
from engine.expressions import Evaluator
from tests.support import FIXTURES

DISPATCH = FIXTURES / "dmn" / "dispatch.dmn"
EVALUATOR = Evaluator()


def table(text: str | None = None) -> DecisionTable:
    """The dispatch table (or ``text``), read with no problems."""
    tables, problems = read((text or DISPATCH.read_text(encoding="utf-8")).encode(), "dispatch.dmn", EVALUATOR)
    assert problems == [] and len(tables) == 1
    return tables[0]


def problems_of(text: str) -> list[str]:
    """The located problems of a changed copy of the table."""
    tables, problems = read(text.encode(), "dispatch.dmn", EVALUATOR)
    assert tables == []
    return [p.located() for p in problems]


@pytest.mark.parametrize(("data", "expected"), [
    ({"category": "PSZS", "street": "HP", "households": 80}, {"unit": "YJJ", "confidence": 0.8}),
    ({"category": "PSZS", "street": "HP", "households": 3}, {"unit": "SWJ", "confidence": 0.9}),
    ({"category": "HJWS", "street": "XH", "households": 20}, {"unit": "XH", "confidence": 0.7}),
    ({"category": "HJWS", "street": "XH", "households": 21}, None),  # outside [1..20], and HJWS is not "not ours"
    ({"category": "HJWS", "street": "JS", "households": 5}, None),
    ({"category": "WFJS", "street": "JS", "households": None}, {"unit": "DDBZ", "confidence": 0.3}),
])
def test_a_valid_table_decides_first_match(data: dict[str, object], expected: object) -> None:
    assert decide(table(), data, EVALUATOR) == expected


def test_collect_lists_every_match_and_unique_refuses_two() -> None:
    text = DISPATCH.read_text(encoding="utf-8")
    collected = table(text.replace('hitPolicy="FIRST"', 'hitPolicy="COLLECT"'))
    assert decide(collected, {"category": "PSZS", "street": "HP", "households": 80}, EVALUATOR) == [
        {"unit": "YJJ", "confidence": 0.8}, {"unit": "SWJ", "confidence": 0.9}]
    unique = table(text.replace('hitPolicy="FIRST"', 'hitPolicy="UNIQUE"'))
    with pytest.raises(DecisionError, match="rules 1, 2 all match"):
        decide(unique, {"category": "PSZS", "street": "HP", "households": 80}, EVALUATOR)
    assert decide(unique, {"category": "PSZS", "street": "HP", "households": 2}, EVALUATOR)["unit"] == "SWJ"


def test_a_missing_variable_fails_naming_the_decision() -> None:
    with pytest.raises(DecisionError, match="decision dispatch_unit: an input expression failed"):
        decide(table(), {"category": "PSZS"}, EVALUATOR)


def test_a_broken_table_is_refused_with_rule_and_column_named() -> None:
    text = DISPATCH.read_text(encoding="utf-8")
    bad_test = text.replace("<text>[1..20]</text>", "<text>between 1 and 20</text>")
    assert problems_of(bad_test) == [
        "dispatch.dmn:36: dispatch_unit: rule 3, input column 3 (涉及户数): between 1 and 20 is not a test this "
        "engine reads (use \"text\", numbers, true or false, separated by commas)"]
    missing_entry = text.replace('<outputEntry id="O_2_2"><text>0.9</text></outputEntry>', "")
    assert problems_of(missing_entry) == [
        "dispatch.dmn:26: dispatch_unit: rule 2: 3 input and 1 output entries for 3 input and 2 output columns"]
    no_expression = text.replace("<text>households</text>", "<text></text>")
    assert problems_of(no_expression) == ["dispatch.dmn:14: dispatch_unit: input column 3 (涉及户数) has no input "
                                          "expression"]
    bad_policy = text.replace('hitPolicy="FIRST"', 'hitPolicy="PRIORITY"')
    assert "hit policy PRIORITY is not supported" in problems_of(bad_policy)[0]


@pytest.mark.parametrize("hostile", ['__import__("os").system("id")', "().__class__.__bases__", "street.__len__()",
                                     "9 ** 9 ** 9 ** 9"])
def test_a_hostile_expression_in_a_cell_is_refused(hostile: str) -> None:
    text = DISPATCH.read_text(encoding="utf-8").replace("<text>street</text></outputEntry>",
                                                        f"<text>{hostile}</text></outputEntry>")
    found = problems_of(text) if "**" not in hostile else None
    if found is not None:
        assert len(found) == 1 and found[0].startswith("dispatch.dmn:37: dispatch_unit: rule 3, output column 1 (unit)")
    else:  # parses, but its cost is bounded when it runs
        with pytest.raises(DecisionError, match="rule 3: an output failed"):
            decide(table(text), {"category": "HJWS", "street": "HP", "households": 2}, EVALUATOR)


def test_hostile_xml_and_other_files_are_refused() -> None:
    entity = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><definitions/>'
    assert "DTDs and entity declarations are not allowed" in problems_of(entity)[0]
    bpmn = '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>'
    assert problems_of(bpmn) == ["dispatch.dmn:1: -: not a DMN 1.3 file: the root element is definitions, expected "
                                 "definitions in the DMN 1.3 model namespace"]


@pytest.mark.parametrize(("cell", "yes", "no"), [
    ("-", ["x", 1, None], []),
    ('"a","b"', ["a", "b"], ["c", 1, None]),
    ("< 5", [4, 4.9], [5, "4", None]),
    ("]1..5[", [2, 4.5], [1, 5]),
    ("not(1, 2)", [3, "1"], [1, 2]),
    ("true", [True], [1, "true"]),
])
def test_unary_tests(cell: str, yes: list[object], no: list[object]) -> None:
    test = read_test(cell)
    assert [test.matches(v) for v in yes] == [True] * len(yes)
    assert [test.matches(v) for v in no] == [False] * len(no)
