"""Deploying over the API: versions by content hash, located problems, permissions, download."""
from __future__ import annotations

import io

from tests.support import WHISTLE_DATA, WHISTLE_PACK
from tests.web.conftest import Api

WHISTLE = (WHISTLE_PACK / "whistle.bpmn").read_bytes()
FORMS = {p.stem: p.read_bytes() for p in (WHISTLE_PACK / "forms").glob("*.json")}


def _upload(api: Api, bpmn: bytes, *, as_: str = "designer", forms: bool = True) -> object:
    data: dict[str, object] = {"file": (io.BytesIO(bpmn), "whistle.bpmn")}
    if forms:
        data["forms"] = [(io.BytesIO(raw), f"{key}.json") for key, raw in FORMS.items()]
    return api.call(as_, "POST", "/definitions", data=data, content_type="multipart/form-data")


def test_deploy_then_same_bytes_is_a_no_op_and_changed_bytes_a_new_version(api: Api) -> None:
    first = _upload(api, WHISTLE)
    assert first.status_code == 201
    assert first.get_json()["version"] == 1 and first.get_json()["created"] is True
    same = _upload(api, WHISTLE)
    assert same.status_code == 200
    assert same.get_json()["version"] == 1 and same.get_json()["created"] is False
    changed = _upload(api, WHISTLE.replace("name=\"签收\"".encode(), "name=\"签收确认\"".encode()))
    assert changed.status_code == 201 and changed.get_json()["version"] == 2
    listing = api.call("designer", "GET", "/definitions").get_json()["items"]
    assert [(d["key"], d["version"]) for d in listing] == [("whistle", 2), ("whistle", 1)]


def test_running_instances_keep_their_version(api: Api) -> None:
    _upload(api, WHISTLE)
    started = api.call("HP.officer", "POST", "/instances", {"process": "whistle", "data": WHISTLE_DATA}).get_json()
    _upload(api, WHISTLE.replace("name=\"签收\"".encode(), "name=\"签收确认\"".encode()))
    case = api.call("HP.officer", "GET", f"/instances/{started['id']}").get_json()
    assert case["version"] == 1
    assert {t["name"] for t in case["open_tasks"]} == {"签收"}
    newer = api.call("HP.officer", "POST", "/instances", {"process": "whistle", "data": WHISTLE_DATA}).get_json()
    assert newer["version"] == 2 and {t["name"] for t in newer["open_tasks"]} == {"签收确认"}
    running = {d["version"]: d["running_instances"] for d in api.call("designer", "GET", "/definitions")
               .get_json()["items"]}
    assert running == {1: 1, 2: 1}


def test_raw_xml_body_deploys_with_forms_of_the_deployed_version(api: Api) -> None:
    _upload(api, WHISTLE)
    changed = WHISTLE.replace("name=\"核验\"".encode(), "name=\"街道核验\"".encode())
    response = api.call("designer", "POST", "/definitions?filename=whistle.bpmn", data=changed,
                        content_type="application/xml")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["version"] == 2


def test_broken_upload_gets_422_with_located_problems_and_deploys_nothing(api: Api) -> None:
    broken = WHISTLE.replace(b'targetRef="Task_rate"', b'targetRef="Task_gone"').replace(
        b"satisfied == True", b"__import__('os').system('id')")
    response = _upload(api, broken)
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "definition_invalid"
    located = {(p["element"], p["line"] is not None) for p in body["problems"]}
    assert ("Flow_to_rate", True) in located
    messages = " ".join(p["message"] for p in body["problems"])
    assert "Task_gone" in messages and "__import__" in messages
    assert api.call("designer", "GET", "/definitions").get_json()["items"] == []


def test_only_designers_and_admins_deploy(api: Api) -> None:
    assert _upload(api, WHISTLE, as_="HP.officer").status_code == 403
    assert _upload(api, WHISTLE, as_="admin").status_code == 201


def test_upload_without_a_file_or_with_another_type_is_a_problem(api: Api) -> None:
    empty = api.call("designer", "POST", "/definitions", data={"other": (io.BytesIO(b"x"), "x.txt")},
                     content_type="multipart/form-data")
    assert empty.status_code == 400
    text = api.call("designer", "POST", "/definitions", data="hello", content_type="text/plain")
    assert text.status_code == 415


def test_download_returns_the_deployed_bytes(api: Api) -> None:
    _upload(api, WHISTLE)
    response = api.call("designer", "GET", "/definitions/whistle/bpmn")
    assert response.status_code == 200 and response.data == WHISTLE
    assert api.call("designer", "GET", "/definitions/whistle/bpmn?version=9").status_code == 404
