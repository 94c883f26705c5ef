"""人机协同 learning: a business rule task with learn_* properties starts from the category catalogue,
learns what dispatchers chose, outvotes the rules once it has learned enough, and is stored as plain
JSON counts that are read back, never unpickled; a broken state or learning turned off leaves the rules."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from engine import learned_models
from engine.definitions import bundle_from_path
from engine.errors import DefinitionInvalid
from engine.expressions import Evaluator
from engine.learned_choices import ChoiceModel, Example
from engine.models import LearnedModel
from tests.engine.test_business_rule_tasks import SUGGEST, suggestion_of
from tests.organisation import validate_demo
from tests.support import Flow

pytest.importorskip("jieba")
pytest.importorskip("sklearn")

LEARN = """<bpmn:extensionElements><camunda:properties>
        <camunda:property name="learn_from" value="decide_confirm.handler" />
        <camunda:property name="learn_output" value="unit" />
        <camunda:property name="learn_text" value="description" />
        <camunda:property name="learn_tokens" value="category street" />
        <camunda:property name="learn_catalogue" value="category" />
        <camunda:property name="learn_after" value="{after}" />
      </camunda:properties></bpmn:extensionElements>
      <bpmn:incoming>Flow_1</bpmn:incoming>"""


def learning_copy(tmp_path: Path, *, after: int = 5, learn: str = LEARN) -> Path:
    """The decisions fixture with learn_* properties on Rule_suggest and a description on the start form."""
    folder = Path(shutil.copytree(SUGGEST.parent, tmp_path / "learning-case"))
    bpmn = folder / "suggest.bpmn"
    text = bpmn.read_text(encoding="utf-8")
    rule = text.index('id="Rule_suggest"')
    at = text.index("<bpmn:incoming>Flow_1</bpmn:incoming>", rule)
    bpmn.write_text(text[:at] + learn.format(after=after) + text[at + len("<bpmn:incoming>Flow_1</bpmn:incoming>"):],
                    encoding="utf-8")
    start = folder / "forms" / "decide_start.json"
    schema = json.loads(start.read_text(encoding="utf-8"))
    schema["properties"]["description"] = {"title": "内容", "type": "string", "maxLength": 2000}
    start.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    return bpmn


def order(flow: Flow, category: str, street: str, description: str = "") -> int:
    """A case started by the dispatcher."""
    return flow.start("rule_dispatch", {"category": category, "street": street, "households": 1,
                                        "description": description}, as_="JSJB.dispatcher")


def dispatch(flow: Flow, case: int, unit: str) -> None:
    """The dispatcher's decision on the case's open task."""
    flow.complete(flow.open_tasks(case)[0].id, {"handler": unit}, as_="JSJB.dispatcher")


def train(flow: Flow, *, rebuild: bool = False) -> list[learned_models.Trained]:
    """What the worker does every minute."""
    with flow.db.transaction() as session:
        return learned_models.retrain(session, flow.clock.now(), rebuild=rebuild)


def stored(flow: Flow) -> LearnedModel:
    with flow.db.transaction(write=False) as session:
        row = session.execute(select(LearnedModel)).scalar_one()
        session.expunge(row)
        return row


def test_cold_start_from_the_catalogue_fills_what_no_rule_fits(flow: Flow, tmp_path: Path) -> None:
    flow.deploy(learning_copy(tmp_path))
    before = order(flow, "HJWS", "JS")
    assert suggestion_of(flow, before) is None  # untrained: the rules alone, and none fits
    [trained] = train(flow)
    assert (trained.decisions, trained.rebuilt) == (0, True)
    suggestion: Any = suggestion_of(flow, order(flow, "HJWS", "JS", "小区门口垃圾堆积"))
    assert suggestion["unit"] == "CGW" and suggestion["source"] == "learned"  # 暴露垃圾's owner in the catalogue
    assert 0 < suggestion["confidence"] <= 1 and len(suggestion["alternatives"]) == 2
    ruled: Any = suggestion_of(flow, order(flow, "TCGL", "HP"))
    assert (ruled["unit"], ruled["confidence"], ruled["source"]) == ("DDBZ", 0.3, "rules")  # too few decisions
    assert "JTW" in ruled["alternatives"]  # 停车管理's owner, offered beside the rules' answer


def test_dispatchers_decisions_outvote_the_rules_once_enough_are_learned(flow: Flow, tmp_path: Path) -> None:
    flow.deploy(learning_copy(tmp_path, after=5))
    train(flow)
    for _ in range(6):  # the dispatchers keep sending 停车 in 和平街道 to the police
        dispatch(flow, order(flow, "TCGL", "HP", "小区门口车辆乱停占用消防通道"), "GAFJ")
    untrained: Any = suggestion_of(flow, order(flow, "TCGL", "HP"))
    assert untrained["unit"] == "DDBZ"  # the worker has not trained on them yet
    [trained] = train(flow)
    assert (trained.added, trained.rebuilt, trained.decisions) == (6, False, 6)
    learned: Any = suggestion_of(flow, order(flow, "TCGL", "HP", "车辆乱停堵住消防通道"))
    assert (learned["unit"], learned["source"]) == ("GAFJ", "learned") and learned["confidence"] > 0.3
    water: Any = suggestion_of(flow, order(flow, "PSZS", "HP"))
    assert (water["unit"], water["source"]) == ("SWJ", "rules")  # surer rules (0.9) keep their answer
    assert train(flow) == []  # nothing new: nothing trained


def test_a_value_the_model_never_saw_rebuilds_it(flow: Flow, tmp_path: Path) -> None:
    flow.deploy(learning_copy(tmp_path))
    train(flow)
    dispatch(flow, order(flow, "TCGL", "HP"), "HP")
    [trained] = train(flow)
    assert (trained.rebuilt, trained.decisions) == (True, 1)
    assert "HP" in stored(flow).state["classes"]


def test_the_stored_model_is_plain_json_and_reads_back_the_same(flow: Flow, tmp_path: Path) -> None:
    flow.deploy(learning_copy(tmp_path))
    for unit in ("GAFJ", "GAFJ", "JTW"):
        dispatch(flow, order(flow, "TCGL", "HP", "小区车辆乱停"), unit)
    train(flow)
    row = stored(flow)
    text = json.dumps(row.state)  # numbers and texts only: nothing a load could run
    assert b"\x80" not in text.encode() and set(row.state) == {
        "version", "features", "classes", "examples", "class_count", "counts"}
    again = ChoiceModel.from_state(json.loads(text))
    example = Example("小区车辆乱停", ("category=TCGL", "street=HP"))
    first = ChoiceModel.from_state(row.state).rank(example)
    assert [c for c, _p in again.rank(example)] == [c for c, _p in first]
    assert [round(p, 6) for _c, p in again.rank(example)] == [round(p, 6) for _c, p in first]


@pytest.mark.parametrize("tamper", [
    lambda s: {**s, "version": 99},
    lambda s: {**s, "counts": [[0, 10**9, 1.0]]},
    lambda s: {**s, "class_count": [-1.0] * len(s["classes"])},
    lambda s: {**s, "classes": ["b", "a"]},
])
def test_a_tampered_state_is_never_served_and_the_next_training_rebuilds_it(flow: Flow, tmp_path: Path,
                                                                            tamper: Any) -> None:
    flow.deploy(learning_copy(tmp_path))
    train(flow)
    with flow.db.transaction() as session:
        row = session.execute(select(LearnedModel)).scalar_one()
        row.state, row.revision = tamper(dict(row.state)), row.revision + 1
    assert suggestion_of(flow, order(flow, "TCGL", "HP")) == {"unit": "DDBZ", "confidence": 0.3}  # the rules alone
    dispatch(flow, order(flow, "TCGL", "HP"), "JTW")
    [trained] = train(flow)
    assert trained.rebuilt and ChoiceModel.from_state(stored(flow).state).classes


def test_learning_turned_off_leaves_the_rules_alone(flow: Flow, tmp_path: Path) -> None:
    flow.deploy(learning_copy(tmp_path))
    train(flow)
    flow.ctx.learned.enabled = False
    assert suggestion_of(flow, order(flow, "HJWS", "JS")) is None
    assert not flow.ctx.learned.training_due(flow.clock.now())


@pytest.mark.parametrize(("change", "message"), [
    (('value="decide_confirm.handler"', 'value="decide_confirm.nothing"'),
     "learn_from: form decide_confirm has no field nothing"),
    (('value="decide_confirm.handler"', 'value="no_such_form.handler"'),
     "learn_from: form no_such_form is no form of this diagram's steps"),
    (('name="learn_output" value="unit"', 'name="learn_output" value="owner"'),
     "learning: owner is no output of decision dispatch_unit"),
    (('name="learn_after" value="5"', 'name="learn_after" value="-1"'),
     "learn_after must be a whole number from 0 to 1000000"),
    (('name="learn_after"', 'name="learn_later"'), "learn_later is not a learning property"),
    (('value="category street"', 'value="a b c d e f g h i"'), "learn_tokens must list at most 8 case field names"),
])
def test_learning_properties_are_checked_at_deploy(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    path = learning_copy(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace(*change), encoding="utf-8")
    with pytest.raises(DefinitionInvalid) as refused:
        validate_demo(bundle_from_path(path), Evaluator())
    found = [p.located() for p in refused.value.problems]
    assert len(found) == 1 and found[0].startswith(f"{path}:") and message in found[0], found
