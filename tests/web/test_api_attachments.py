"""Attachments through the API: the same sniffing, limits and access rules as the pages."""
from __future__ import annotations

import io
from typing import Any

from sqlalchemy import func, select

from engine import attachments
from engine.models import Attachment
from tests.support import WHISTLE_ANSWERS, WHISTLE_DATA, Flow
from tests.web.conftest import Api

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64


def _upload(api: Api, username: str, *files: tuple[bytes, str]) -> Any:
    data = {"file": [(io.BytesIO(content), name) for content, name in files]}
    return api.call(username, "POST", "/attachments", data=data, content_type="multipart/form-data")


def _count(api: Api) -> int:
    with api.db.transaction(write=False) as session:
        return int(session.execute(select(func.count()).select_from(Attachment)).scalar_one())


def test_an_upload_is_sniffed_kept_and_only_its_uploader_may_fetch_it_until_a_case_holds_it(api: Api,
                                                                                           flow: Flow) -> None:
    flow.deploy()
    response = _upload(api, "HP.officer", (PNG, "现场照片.jpg"), (PDF, "../../etc/报告.pdf"))
    assert response.status_code == 201, response.get_json()
    photo, report = response.get_json()["items"]
    assert photo["content_type"] == "image/png" and photo["filename"] == "现场照片.jpg"  # the bytes decide
    assert report["content_type"] == "application/pdf" and report["filename"] == "报告.pdf"
    assert photo["instance_id"] is None and photo["size"] == len(PNG)
    mine = api.call("HP.officer", "GET", f"/attachments/{photo['id']}")
    assert mine.status_code == 200 and mine.data == PNG
    assert mine.headers["X-Content-Type-Options"] == "nosniff"
    assert mine.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert mine.headers["Content-Disposition"].startswith("inline")
    assert api.call("HP.officer", "GET", f"/attachments/{report['id']}").headers["Content-Disposition"] \
        .startswith("attachment")
    assert api.call("CGW.dispatcher", "GET", f"/attachments/{photo['id']}").status_code == 404
    # Given to a case by the start form: everyone on the case may fetch it, nobody else.
    started = api.call("HP.officer", "POST", "/instances", {
        "process": "whistle", "data": {**WHISTLE_DATA, "departments": ["CGW"], "attachments": [str(photo["id"])]}})
    assert started.status_code == 201, started.get_json()
    assert api.call("CGW.dispatcher", "GET", f"/attachments/{photo['id']}").data == PNG
    assert api.call("ZJW.staff", "GET", f"/attachments/{photo['id']}").status_code == 404
    assert api.call("ZJW.staff", "GET", "/attachments/999999").status_code == 404


def test_a_task_completed_through_the_api_gives_its_evidence_to_the_case(api: Api, flow: Flow) -> None:
    case = flow.blow(departments=["CGW"])
    flow.complete(flow.task(case, "Task_sign", "CGW").id, WHISTLE_ANSWERS["Task_sign"], as_="CGW.dispatcher")
    flow.complete(flow.task(case, "Task_report_in", "CGW").id, WHISTLE_ANSWERS["Task_report_in"], as_="CGW.staff")
    handle = flow.task(case, "Task_handle", "CGW")
    evidence = _upload(api, "CGW.staff", (PDF, "整改报告.pdf")).get_json()["items"][0]
    assert api.call("HP.officer", "GET", f"/attachments/{evidence['id']}").status_code == 404
    someone_elses = _upload(api, "CGW.head", (PNG, "别人的.png")).get_json()["items"][0]
    refused = api.call("CGW.staff", "POST", f"/tasks/{handle.id}/complete", {"data": {
        **WHISTLE_ANSWERS["Task_handle"], "evidence": [str(someone_elses["id"])]}})
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["code"] == "unknown_attachment"
    done = api.call("CGW.staff", "POST", f"/tasks/{handle.id}/complete", {"data": {
        **WHISTLE_ANSWERS["Task_handle"], "evidence": [str(evidence["id"])]}})
    assert done.status_code == 200, done.get_json()
    assert api.call("HP.officer", "GET", f"/attachments/{evidence['id']}").status_code == 200


def test_what_the_pages_refuse_the_api_refuses_and_keeps_nothing(api: Api, flow: Flow) -> None:
    flow.deploy()
    fake = _upload(api, "HP.officer", (PNG, "ok.png"), (b"<html><script>alert(1)</script>", "photo.png"))
    assert fake.status_code == 422
    assert [e["code"] for e in fake.get_json()["errors"]] == ["file_type"]
    assert _count(api) == 0  # all or nothing: the good file of a refused request is not kept either
    big = _upload(api, "HP.officer", (PNG + b"\x00" * attachments.MAX_BYTES, "big.png"))
    assert big.status_code == 422 and big.get_json()["errors"][0]["code"] == "too_large"
    empty = _upload(api, "HP.officer", (b"", "empty.png"))
    assert empty.status_code == 422 and empty.get_json()["errors"][0]["code"] == "empty"
    none = api.call("HP.officer", "POST", "/attachments", data={"other": "x"}, content_type="multipart/form-data")
    assert none.status_code == 422 and none.get_json()["errors"][0]["code"] == "required"
    assert api.call("HP.officer", "POST", "/attachments", {"file": "x"}).status_code == 415
    assert _count(api) == 0


def test_the_pending_upload_cap_holds_for_the_api(make_app: Any, flow: Flow) -> None:
    flow.deploy()
    app = make_app(pending_upload_files=2)
    with app.test_client() as client:
        api = Api(client, flow.db, flow.clock, flow.ctx)
        assert _upload(api, "HP.officer", (PNG, "1.png"), (PDF, "2.pdf")).status_code == 201
        third = _upload(api, "HP.officer", (PNG + b"3", "3.png"))
        assert third.status_code == 422 and third.get_json()["errors"][0]["code"] == "too_many_pending"
        assert _upload(api, "HP.officer", (PNG, "1.png")).status_code == 201  # the same file again is the same upload
        assert _count(api) == 2
