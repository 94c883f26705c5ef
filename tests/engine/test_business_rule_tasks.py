"""Business rule tasks decide a DMN table at run time: the suggestion routes the case, survives a
restart from the database, and a bad reference or a broken table is refused at deploy, located."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.definitions import bundle_from_path
from engine.errors import DefinitionInvalid, ProcessFailed
from engine.expressions import Evaluator
from tests.organisation import validate_demo
from tests.support import FIXTURES, Flow

SUGGEST = FIXTURES / "bpmn" / "decisions" / "suggest.bpmn"


def suggestion_of(flow: Flow, case: int) -> object:
    """The ``suggestion`` the business rule task wrote, read from the stored workflow (its data change)."""
    state = json.loads(flow.instance(case).state)
    found = [t["delta"]["updates"]["suggestion"] for t in state["tasks"].values()
             if t["task_spec"] == "Rule_suggest" and "suggestion" in t.get("delta", {}).get("updates", {})]
    assert found, "no task holds the suggestion"
    return found[-1]


@pytest.mark.parametrize(("data", "expected", "opened"), [
    ({"category": "PSZS", "street": "HP", "households": 3}, {"unit": "SWJ", "confidence": 0.9}, "Task_confirm"),
    ({"category": "WFJS", "street": "JS", "households": 1}, {"unit": "DDBZ", "confidence": 0.3}, "Task_fallback"),
    ({"category": "HJWS", "street": "JS", "households": 1}, None, "Task_confirm"),
])
def test_the_decision_routes_the_case(flow: Flow, data: dict[str, object], expected: object, opened: str) -> None:
    flow.deploy(SUGGEST)
    case = flow.start("rule_dispatch", data, as_="JSJB.dispatcher")
    assert [t.element_id for t in flow.open_tasks(case)] == [opened]
    assert suggestion_of(flow, case) == expected
    flow.complete(flow.open_tasks(case)[0].id, {"handler": "SWJ"}, as_="JSJB.dispatcher")
    assert flow.instance(case).status == "completed"


def copy_of(tmp_path: Path, dmn: str | None = None, bpmn: str | None = None) -> Path:
    """The fixture folder copied, its DMN or BPMN text replaced when given."""
    folder = shutil.copytree(SUGGEST.parent, tmp_path / "decisions-case")
    if dmn is not None:
        (folder / "decisions" / "dispatch.dmn").write_text(dmn, encoding="utf-8")
    if bpmn is not None:
        (folder / "suggest.bpmn").write_text(bpmn, encoding="utf-8")
    return folder / "suggest.bpmn"


def refusals(path: Path) -> list[str]:
    """The located problems deploy would print."""
    with pytest.raises(DefinitionInvalid) as refused:
        validate_demo(bundle_from_path(path), Evaluator())
    return [p.located() for p in refused.value.problems]


def test_an_unknown_decision_is_refused_at_its_task(tmp_path: Path) -> None:
    bpmn = SUGGEST.read_text(encoding="utf-8").replace('decisionRef="dispatch_unit"', 'decisionRef="nothing_here"')
    path = copy_of(tmp_path, bpmn=bpmn)
    assert refusals(path) == [f"{path}:32: Rule_suggest: decision nothing_here is in no DMN file of decisions/"]


def test_a_broken_table_is_refused_in_its_own_file(tmp_path: Path) -> None:
    dmn = (SUGGEST.parent / "decisions" / "dispatch.dmn").read_text(encoding="utf-8").replace(
        "<text>street</text></outputEntry>", '<text>__import__("os")</text></outputEntry>')
    path = copy_of(tmp_path, dmn=dmn)
    found = refusals(path)
    assert len(found) == 1 and found[0].startswith(
        f"{path.parent / 'decisions' / 'dispatch.dmn'}:37: dispatch_unit: rule 3, output column 1 (unit): ")


def test_a_changed_table_is_a_new_version_and_the_same_one_is_not(flow: Flow, tmp_path: Path) -> None:
    first = flow.deploy(SUGGEST)
    assert flow.deploy(SUGGEST).created is False  # nothing changed: nothing deployed
    changed = (SUGGEST.parent / "decisions" / "dispatch.dmn").read_text(encoding="utf-8").replace(
        "<text>0.9</text>", "<text>0.95</text>")
    second = flow.deploy(copy_of(tmp_path, dmn=changed))
    assert second.created is True and second.definition.version == first.definition.version + 1


def test_single_entry_needs_a_one_column_table(tmp_path: Path) -> None:
    single = 'camunda:resultVariable="suggestion" camunda:mapDecisionResult="singleEntry"'
    bpmn = SUGGEST.read_text(encoding="utf-8").replace('camunda:resultVariable="suggestion"', single)
    path = copy_of(tmp_path, bpmn=bpmn)
    assert refusals(path) == [f"{path}:32: Rule_suggest: singleEntry needs decision dispatch_unit to have one output "
                              "column and one result (not RULE ORDER or COLLECT)"]


def test_a_decision_that_cannot_decide_fails_the_step_on_its_task(flow: Flow, tmp_path: Path) -> None:
    unique = (SUGGEST.parent / "decisions" / "dispatch.dmn").read_text(encoding="utf-8").replace(
        'hitPolicy="FIRST"', 'hitPolicy="UNIQUE"')
    flow.deploy(copy_of(tmp_path, dmn=unique))
    with pytest.raises(ProcessFailed) as failed:  # two rules match: UNIQUE says no; nothing is started
        flow.start("rule_dispatch", {"category": "PSZS", "street": "HP", "households": 80}, as_="JSJB.dispatcher")
    assert failed.value.params["element"] == "Rule_suggest"
    assert str(failed.value.params["reason"]) == "decision dispatch_unit: rules 1, 2 all match, and its hit policy " \
                                                 "is UNIQUE"


def test_a_diagram_edited_alone_keeps_deciding_with_the_deployed_tables(flow: Flow, tmp_path: Path) -> None:
    first = flow.deploy(SUGGEST)
    alone = tmp_path / "alone"
    alone.mkdir()
    edited = SUGGEST.read_text(encoding="utf-8").replace('name="确认派单"', 'name="确认派单（已改名）"')
    (alone / "suggest.bpmn").write_text(edited, encoding="utf-8")  # as the browser's modeler sends it
    shutil.copytree(SUGGEST.parent / "forms", alone / "forms")
    second = flow.deploy(alone / "suggest.bpmn")
    assert second.created and second.definition.version == first.definition.version + 1
    case = flow.start("rule_dispatch", {"category": "PSZS", "street": "HP", "households": 3}, as_="JSJB.dispatcher")
    assert suggestion_of(flow, case) == {"unit": "SWJ", "confidence": 0.9}
    assert [t.name for t in flow.open_tasks(case)] == ["确认派单（已改名）"]
