"""The start event's ``duplicates`` property: checked at deploy, and texts compared without width, spacing or case."""
from __future__ import annotations

import pytest

from engine.definitions import bundle_from_path
from engine.duplicate_rules import problems, same_problem
from engine.errors import DefinitionInvalid
from engine.expressions import Evaluator
from tests.organisation import validate_demo
from tests.support import PROCESSES

FORM = {"properties": {"category": {}, "street": {}, "address": {}}}


@pytest.mark.parametrize(("properties", "expected"), [
    ({"duplicates": "category, address"}, []),
    ({"duplicates": "category, phone"}, ["{property}: {field} is not a field of the start form"]),
    ({"duplicates": "a,b,c,d,e,f"}, ["{property} lists 1 to {limit} start-form field names, separated by commas"]
     + ["{property}: {field} is not a field of the start form"] * 6),
    ({"duplicates": "category", "duplicate_days": "0"}, ["{property} is a whole number of days from 1 to {limit}"]),
    ({"duplicate_days": "七"}, ["{property} is a whole number of days from 1 to {limit}"]),
])
def test_the_property_is_checked(properties: dict[str, str], expected: list[str]) -> None:
    assert [template for template, _ in problems(properties, FORM)] == expected


def test_same_problem_folds_width_spacing_and_case_and_needs_every_field() -> None:
    declared = {"duplicates": "category, address"}
    assert same_problem(declared, {"category": "SDGD", "address": "七区 5 号楼 Ａ座"},
                        {"category": "SDGD", "address": "七区５号楼a座"})
    assert not same_problem(declared, {"category": "SDGD", "address": "七区 5 号楼"},
                            {"category": "HJWS", "address": "七区 5 号楼"})
    assert not same_problem(declared, {"category": "SDGD"}, {"category": "SDGD"})  # no address: never the same
    assert not same_problem({}, {"category": "SDGD"}, {"category": "SDGD"})  # nothing declared


def test_a_bad_declaration_is_refused_on_the_start_event(tmp_path: object) -> None:
    bundle = bundle_from_path(PROCESSES / "ywtb" / "ywtb.bpmn")
    bundle.bpmn = bundle.bpmn.replace(b'value="category, street, address"', b'value="category, phone"')
    with pytest.raises(DefinitionInvalid) as refused:
        validate_demo(bundle, Evaluator())
    assert [(p.element, p.message) for p in refused.value.problems] == [
        ("Start_request", "duplicates: phone is not a field of the start form")]
