"""举报 stays confidential: the reporter's name and phone reach the dispatch centre only. The handling unit
reads 「（保密）」 in their place on the case page, the task page, the API's case and its history; a complaint's
requester stays visible to the unit that must call them back; a broken declaration is refused at deploy."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from engine.confidential import HIDDEN
from engine.definitions import bundle_from_path
from engine.errors import DefinitionInvalid
from engine.expressions import Evaluator
from tests.organisation import validate_demo
from tests.support import Flow
from tests.web.conftest import Api, Pages
from tests.web.test_ywtb_http import REQUEST, YWTB

REPORT = {**REQUEST, "request_kind": "report", "category": "SCJG", "address": "新华路 88 号",
          "requester_name": "王五", "requester_phone": "13700002222"}


def dispatched(flow: Flow, data: dict[str, Any]) -> tuple[int, int]:
    """A request taken in and sent to 市场监管局: (case, the unit's sign task)."""
    case = flow.start("ywtb", data, as_="SFQ-CY.clerk")
    flow.complete(flow.open_tasks(case, "Task_dispatch")[0].id, {"handler": "SJJ"}, as_="SFQ-CY.dispatcher")
    return case, flow.open_tasks(case, "Task_sign")[0].id


def test_the_reporter_is_hidden_from_the_unit_and_shown_to_the_centre(flow: Flow, pages: Pages, api: Api) -> None:
    flow.deploy(YWTB / "ywtb.bpmn")
    case, task = dispatched(flow, REPORT)
    unit = api.call("SJJ.caseworker", "GET", f"/instances/{case}").get_json()
    assert (unit["data"]["requester_name"], unit["data"]["requester_phone"]) == (HIDDEN, HIDDEN)
    started = next(h for h in unit["history"] if h["action"] == "started")
    assert started["payload"]["data"]["requester_phone"] == HIDDEN
    history = api.call("SJJ.caseworker", "GET", f"/instances/{case}/history").get_json()["items"]
    leaked = [h for h in history if "13700002222" in json.dumps(h, ensure_ascii=False)]
    assert leaked == []
    unit_pages = pages.as_("SJJ.caseworker")
    for path in (f"/cases/{case}", f"/tasks/{task}"):
        answer = unit_pages.get(path)
        assert answer.status_code == 200, path
        page = answer.get_data(as_text=True)
        assert "王五" not in page and "13700002222" not in page and HIDDEN in page, path
    centre = api.call("SFQ-CY.dispatcher", "GET", f"/instances/{case}").get_json()
    assert (centre["data"]["requester_name"], centre["data"]["requester_phone"]) == ("王五", "13700002222")
    assert "13700002222" in pages.as_("SFQ-CY.clerk").get(f"/cases/{case}").get_data(as_text=True)

    complaint, _task = dispatched(flow, {**REPORT, "request_kind": "complaint", "address": "新华路 90 号"})
    shown = api.call("SJJ.caseworker", "GET", f"/instances/{complaint}").get_json()["data"]
    assert shown["requester_phone"] == "13700002222"  # a complaint: the unit calls the requester back


def test_a_broken_declaration_is_refused_at_deploy(tmp_path: Path) -> None:
    pack = Path(shutil.copytree(YWTB, tmp_path / "ywtb"))
    form = pack / "forms" / "ywtb_intake.json"
    schema = json.loads(form.read_text(encoding="utf-8"))
    schema["x-confidential"] = {"when": {"request_kind": "report"}, "fields": ["requester_name"], "readers": []}
    form.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(DefinitionInvalid) as refused:
        validate_demo(bundle_from_path(pack / "ywtb.bpmn"), Evaluator())
    assert any("x-confidential must say when" in p.located() for p in refused.value.problems)
