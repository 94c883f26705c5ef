"""Form schemas served by the API: a client fills start and task forms without hard-coding them."""
from __future__ import annotations

import json
from pathlib import Path

from tests.support import WHISTLE_ANSWERS, WHISTLE_DATA, WHISTLE_PACK, Flow
from tests.web.conftest import Api


def test_the_start_form_is_the_deployed_one_and_a_client_can_start_with_it(api: Api, flow: Flow) -> None:
    flow.deploy()
    response = api.call("HP.officer", "GET", "/definitions/whistle/form")
    assert response.status_code == 200
    body = response.get_json()
    deployed = json.loads((WHISTLE_PACK / "forms" / "whistle_start.json").read_text(encoding="utf-8"))
    assert body["process"] == "whistle" and body["version"] == 1 and body["form_key"] == "whistle_start"
    assert body["schema"] == deployed
    assert body["attachment_fields"] == ["attachments"]
    assert body["uploads"]["max_file_bytes"] == 8 * 1024 * 1024 and "image/png" in body["uploads"]["content_types"]
    # What the schema requires is what the start needs: the required fields alone start a case.
    data = {name: WHISTLE_DATA[name] for name in body["schema"]["required"] if name in WHISTLE_DATA}
    started = api.call("HP.officer", "POST", "/instances", {"process": "whistle", "data": data})
    assert started.status_code == 201, started.get_json()


def test_a_version_is_chosen_with_version(api: Api, flow: Flow, tmp_path: Path) -> None:
    flow.deploy()
    changed = (WHISTLE_PACK / "whistle.bpmn").read_text(encoding="utf-8").replace(
        "</bpmn:definitions>", "<!-- v2 --></bpmn:definitions>")
    target = tmp_path / "whistle.bpmn"
    target.write_text(changed, encoding="utf-8")
    (tmp_path / "forms").mkdir()  # forms are read beside the file: copy them along
    for form in (WHISTLE_PACK / "forms").glob("*.json"):
        (tmp_path / "forms" / form.name).write_bytes(form.read_bytes())
    assert flow.deploy(target).definition.version == 2
    assert api.call("HP.officer", "GET", "/definitions/whistle/form").get_json()["version"] == 2
    assert api.call("HP.officer", "GET", "/definitions/whistle/form?version=1").get_json()["version"] == 1
    assert api.call("HP.officer", "GET", "/definitions/whistle/form?version=3").status_code == 404
    assert api.call("HP.officer", "GET", "/definitions/nope/form").status_code == 404
    assert api.call("HP.officer", "GET", "/definitions/whistle/form?version=0").status_code == 400


def test_a_task_form_is_served_to_those_who_see_the_task(api: Api, flow: Flow) -> None:
    case = flow.blow(departments=["CGW"])
    sign = flow.task(case, "Task_sign", "CGW")
    response = api.call("CGW.dispatcher", "GET", f"/tasks/{sign.id}/form")
    assert response.status_code == 200
    body = response.get_json()
    assert body["task_id"] == sign.id and body["form_key"] == sign.form_key and body["process"] == "whistle"
    assert body["version"] == 1
    assert body["schema"] == api.call("CGW.dispatcher", "GET", f"/tasks/{sign.id}").get_json()["form"]
    assert "contact" in body["schema"]["properties"]
    assert body["attachment_fields"] == []
    flow.complete(sign.id, WHISTLE_ANSWERS["Task_sign"], as_="CGW.dispatcher")
    flow.complete(flow.task(case, "Task_report_in", "CGW").id, WHISTLE_ANSWERS["Task_report_in"], as_="CGW.staff")
    handle = flow.task(case, "Task_handle", "CGW")
    assert api.call("CGW.staff", "GET", f"/tasks/{handle.id}/form").get_json()["attachment_fields"] == ["evidence"]
    hidden = api.call("ZJW.staff", "GET", f"/tasks/{sign.id}/form")
    assert hidden.status_code == 404 and hidden.mimetype == "application/problem+json"
