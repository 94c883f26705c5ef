"""x-suggested-from: a form field starts from a plain value found at a dotted path of the case data."""
from __future__ import annotations

from engine.forms import check_form
from engine.suggested_values import read

FORM = {"type": "object", "properties": {
    "handler": {"type": "string", "x-suggested-from": "suggestion.unit",
                "x-suggested-confidence": "suggestion.confidence"},
    "note": {"type": "string", "x-suggested-from": "hint"},
    "plain": {"type": "string"}}}


def test_values_are_read_from_their_paths_and_only_plain_ones_count() -> None:
    data = {"suggestion": {"unit": "SWJ", "confidence": 0.75}, "hint": {"nested": "no"}}
    assert read(FORM, data) == {"handler": {"value": "SWJ", "confidence": 0.75}}
    assert read(FORM, {"suggestion": None, "hint": "x" * 201}) == {}
    assert read(FORM, {"suggestion": {"unit": "SWJ", "confidence": True}, "hint": "看现场"}) == {
        "handler": {"value": "SWJ", "confidence": None}, "note": {"value": "看现场", "confidence": None}}


def test_a_path_that_is_not_a_dotted_name_is_refused_at_deploy() -> None:
    bad = {"type": "object", "properties": {"handler": {"type": "string", "x-suggested-from": "a.b.c.d.e"},
                                            "other": {"type": "string", "x-suggested-confidence": "__class__()"}}}
    assert [(p.element, p.params["key"]) for p in check_form(bad, "f.json")] == [
        ("properties/handler", "x-suggested-from"), ("properties/other", "x-suggested-confidence")]
    assert check_form(FORM, "f.json") == []
