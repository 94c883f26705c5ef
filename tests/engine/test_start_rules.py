"""Start rules run inside ``instances.start``: a caller of the engine (CLI, connector) cannot skip them."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from engine import attachments, start_rules
from engine.errors import InvalidInput
from engine.models import Attachment, HumanTask, ProcessInstance
from tests.support import WHISTLE_DATA, Flow

PDF = b"%PDF-1.4\n%%EOF"


def _refusal(flow: Flow, **changes: Any) -> dict[str, str]:
    with pytest.raises(InvalidInput) as refused:
        flow.start("whistle", {**WHISTLE_DATA, **changes}, as_="HP.officer")
    return {e.field: e.code for e in refused.value.errors}


def _nothing_started(flow: Flow) -> bool:
    with flow.db.transaction(write=False) as session:
        return (session.execute(select(func.count()).select_from(ProcessInstance)).scalar_one() == 0
                and session.execute(select(func.count()).select_from(HumanTask)).scalar_one() == 0)


@pytest.mark.parametrize("changes,expected", [
    ({"departments": ["GHZY", "HP"]}, {"departments": "not_summonable"}),
    ({"departments": ["QLD"]}, {"departments": "not_summonable"}),
    ({"community": "光明楼社区"}, {"community": "enum"}),
    ({"attachments": ["999999"]}, {"attachments[0]": "unknown_attachment"}),
    ({"attachments": ["1"] * (start_rules.MAX_CHECKED + 1)}, {"attachments": "maxItems"}),
])
def test_the_engine_start_refuses_what_the_street_may_not_do(flow: Flow, changes: dict[str, Any],
                                                             expected: dict[str, str]) -> None:
    flow.deploy()
    found = _refusal(flow, **changes)
    assert {k: v for k, v in found.items() if k in expected or k.startswith("attachments")} == expected
    assert _nothing_started(flow)


def test_the_chosen_street_decides_the_communities(flow: Flow, make_user: Any) -> None:

    make_user("two.officer", "两街值班员", [("HP", "street_officer"), ("XH", "street_officer")])
    flow.deploy()
    with pytest.raises(InvalidInput) as refused:
        flow.start("whistle", {**WHISTLE_DATA, "street": "XH"}, as_="two.officer")  # 和平里社区 is HP's
    assert {e.field: e.code for e in refused.value.errors} == {"community": "enum"}
    started = flow.start("whistle", {**WHISTLE_DATA, "street": "HP"}, as_="two.officer")
    assert flow.instance(started).case_data["street"] == "HP"


def test_a_start_gives_the_starters_uploads_to_the_new_case(flow: Flow, tmp_path: Path) -> None:
    flow.deploy()
    with flow.db.transaction() as session:
        upload = attachments.store(session, tmp_path, flow.actor("HP.officer"), "a.pdf", None, PDF,
                                   flow.clock.now()).id
    case = flow.start("whistle", {**WHISTLE_DATA, "attachments": [str(upload)]}, as_="HP.officer")
    with flow.db.transaction(write=False) as session:
        assert session.get(Attachment, upload).instance_id == case  # type: ignore[union-attr]


def test_a_refused_value_is_repeated_only_in_part(flow: Flow) -> None:
    flow.deploy()
    with pytest.raises(InvalidInput) as refused:
        flow.start("whistle", {**WHISTLE_DATA, "attachments": ["9" * 300]}, as_="HP.officer")
    [message] = [e.message for e in refused.value.errors if e.field == "attachments[0]"]
    assert message.startswith("Unknown attachment: 9999") and len(message) < 80
