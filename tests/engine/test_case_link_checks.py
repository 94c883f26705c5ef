"""The ``links`` extension property is checked at deploy: on user tasks only, naming process keys."""
from __future__ import annotations

import pytest

from engine.definitions import bundle_from_path
from engine.errors import DefinitionInvalid
from engine.expressions import Evaluator
from tests.organisation import validate_demo
from tests.support import PROCESSES

RXJB = PROCESSES / "rxjb" / "rxjb.bpmn"


def test_the_shipped_offer_validates_and_is_kept_in_the_catalog() -> None:
    validated = validate_demo(bundle_from_path(RXJB), Evaluator())
    assert validated.catalog["elements"]["Task_handle"]["properties"]["links"] == "whistle"


@pytest.mark.parametrize(("value", "expected"), [
    ("whistle, 吹哨!", ":114: Task_handle: links: 吹哨! is not a process key"),
    (",".join(f"p{n}" for n in range(9)), ":114: Task_handle: links names more than 8 processes"),
])
def test_a_bad_offer_is_refused_at_its_task(value: str, expected: str) -> None:
    bundle = bundle_from_path(RXJB)
    bundle.bpmn = bundle.bpmn.replace(b'name="links" value="whistle"', f'name="links" value="{value}"'.encode())
    with pytest.raises(DefinitionInvalid) as refused:
        validate_demo(bundle, Evaluator())
    assert [str(p) for p in refused.value.problems if "links" in str(p)] == [f"{RXJB}{expected}"]
