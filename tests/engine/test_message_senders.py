"""``sent_by`` on a message-catching event: checked at deploy, kept in the catalog, enforced on delivery."""
from __future__ import annotations

import pytest

from engine.definitions import bundle_from_path
from engine.errors import DefinitionInvalid
from engine.expressions import Evaluator
from engine.message_senders import allowed
from tests.organisation import validate_demo
from tests.support import PROCESSES

YWTB = PROCESSES / "ywtb" / "ywtb.bpmn"


def test_the_catalog_names_who_may_recall_a_dispatch() -> None:
    catalog = validate_demo(bundle_from_path(YWTB), Evaluator()).catalog
    assert catalog["message_senders"] == {"recall_dispatch": {"roles": ["ops_dispatcher"], "tasks": ["Task_sign"],
                                                              "label": "召回"}}
    assert allowed(catalog, "recall_dispatch", frozenset({"ops_dispatcher", "case_head"}))
    assert not allowed(catalog, "recall_dispatch", frozenset({"case_handler"}))
    assert allowed(catalog, "any_other_message", frozenset())  # nothing declared: anyone who may read the case


def test_an_unknown_role_is_refused_on_its_event() -> None:
    bundle = bundle_from_path(YWTB)
    bundle.bpmn = bundle.bpmn.replace(b'name="sent_by" value="ops_dispatcher"', b'name="sent_by" value="nobody"')
    with pytest.raises(DefinitionInvalid) as refused:
        validate_demo(bundle, Evaluator())
    assert [(p.element, p.message) for p in refused.value.problems] == [
        ("Boundary_recall", "sent_by: nobody is not a declared role")]
