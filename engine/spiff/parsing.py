"""Reading BPMN with SpiffWorkflow: the XSD check, spec building, timer literals."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.spiff.decisions import DecisionParser
from engine.spiff.storage import serializer


@cache
def bpmn_schema() -> etree.XMLSchema:
    """The BPMN 2.0 XSD shipped with SpiffWorkflow, compiled once."""
    import SpiffWorkflow.bpmn.parser as parser_package

    path = Path(parser_package.__file__).with_name("schema") / "BPMN20.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


def schema_errors(tree: etree._ElementTree) -> list[tuple[int, str]]:
    """Every XSD violation as (line, message)."""
    schema = bpmn_schema()
    if schema.validate(tree):
        return []
    return [(error.line, _short_xsd_message(error.message)) for error in schema.error_log]


def _short_xsd_message(message: str) -> str:
    return re.sub(r"\{http://www\.omg\.org/spec/BPMN/20100524/MODEL\}", "bpmn:", message)


@dataclass(frozen=True)
class SpecProblem:
    """A problem SpiffWorkflow found while building specs."""

    element: str | None
    message: str


def build_specs(tree: etree._ElementTree, filename: str, process_id: str,
                decision_files: dict[str, str] | None = None) -> str:
    """Parse the tree with SpiffWorkflow and return the serialized specs as JSON.

    ``decision_files`` maps each decision id to its DMN file's text (business rule tasks embed it).
    Raises :class:`SpecProblem` wrapped in :class:`SpecBuildError`.
    """
    parser = DecisionParser(decision_files)
    try:
        parser.add_bpmn_xml(tree, filename=filename)
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as error:
        raise SpecBuildError(SpecProblem(getattr(error, "id", None) or None, _spiff_message(error))) from None
    except (SpiffWorkflowException, KeyError, ValueError, TypeError, AttributeError, IndexError) as error:
        # The library raises plain errors on some malformed models; report them, never crash.
        raise SpecBuildError(SpecProblem(None, f"the engine cannot read this model ({error})")) from None
    registry = serializer().registry
    payload = {
        "spec": registry.convert(spec),
        "subprocess_specs": {name: registry.convert(s) for name, s in subprocess_specs.items()},
    }
    return json.dumps(payload, ensure_ascii=False)


class SpecBuildError(Exception):
    """SpiffWorkflow refused the model."""

    def __init__(self, problem: SpecProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _spiff_message(error: ValidationException) -> str:
    text = str(error.args[0]) if error.args else str(error)
    return text.strip().rstrip(".") or type(error).__name__


def timer_literal_ok(text: str) -> bool:
    """Whether SpiffWorkflow understands an ISO 8601 timer literal."""
    try:
        if text.upper().startswith("R"):
            TimerEventDefinition.parse_iso_recurring_interval(text)
        elif text.upper().startswith("P"):
            TimerEventDefinition.parse_iso_duration(text)
        else:
            TimerEventDefinition.get_datetime(text)
    except Exception:  # the library raises bare Exception for bad literals
        return False
    return True
