"""The request boundary, finding by finding: out-of-range ids, bad characters, CR/LF in next, deep JSON, big bodies."""
from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from werkzeug.routing import IntegerConverter

from engine.context import EngineContext
from engine.database import Database
from escalation.config import Escalation
from tests.support import WHISTLE_DATA, WHISTLE_PACK, FakeClock, Flow
from tests.web.conftest import Api, Pages, csrf_token_of
from web.app import create_app
from web.boundary import IdConverter
from web.services import Services
from web.settings import Settings

HUGE = 2**31


@pytest.mark.parametrize("path", [f"/tasks/{HUGE}", f"/instances/{HUGE}", f"/tasks/{HUGE}/claim",
                                  f"/extensions/{HUGE}/approve", f"/notifications/{HUGE}/read",
                                  f"/tasks/{HUGE}/deadlines", "/tasks/99999999999999999999"])
def test_ids_beyond_the_column_range_in_api_paths_are_404_problems(api: Api, path: str) -> None:
    method = "GET" if path.startswith("/instances") or path.endswith(("deadlines", "9")) or \
        path == f"/tasks/{HUGE}" else "POST"
    response = api.call("admin", method, path)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("path", [f"/cases/{HUGE}", f"/tasks/{HUGE}", f"/whistles/{HUGE}", "/cases/0"])
def test_ids_beyond_the_column_range_in_page_paths_are_404_pages(pages: Pages, path: str) -> None:
    response = pages.as_("admin").get(path)
    assert response.status_code == 404
    assert response.mimetype == "text/html"


@pytest.mark.parametrize("query", [f"instance={HUGE}", "instance=0"])
def test_query_ids_out_of_range_are_404(api: Api, query: str) -> None:
    response = api.call("DCS.supervisor", "GET", f"/escalations?{query}")
    assert response.status_code == 404


def test_versions_out_of_range_are_404_and_not_numbers_400(api: Api, flow: Flow, pages: Pages) -> None:
    flow.deploy()
    designer, officer = pages.as_("designer"), pages.as_("HP.officer")
    assert api.call("designer", "GET", f"/definitions/whistle?version={HUGE}").status_code == 404
    assert api.call("designer", "GET", "/definitions/whistle?version=null").status_code == 400
    assert api.call("designer", "GET", "/definitions/whistle?version=1").status_code == 200
    assert designer.get(f"/design/whistle?version={HUGE}").status_code == 404
    assert designer.get(f"/design/whistle/versions/{HUGE}/counts").status_code == 404
    assert officer.get(f"/whistles?offset={HUGE}").status_code == 400


@pytest.mark.parametrize("query", ["offset=2147483648", "level=0", "level=100", "limit=501", "since=yesterday"])
def test_query_values_outside_their_documented_range_are_400(api: Api, query: str) -> None:
    path = "/departments/CGW/stats" if query.startswith("since") else "/overdue"
    response = api.call("DCS.supervisor", "GET", f"{path}?{query}")
    assert response.status_code == 400
    assert "'" + query.split("=")[0] + "'" in response.get_json()["detail"]


def test_addresses_over_the_bound_are_414_in_each_format(api: Api, pages: Pages) -> None:
    staff = pages.as_("CGW.staff")
    long_query = "q=" + quote("长" * 500)  # 4,500 bytes as a browser sends it
    page = staff.get(f"/tasks?{long_query}")
    assert page.status_code == 414 and page.mimetype == "text/html"
    assert staff.get("/tasks?q=" + quote("长" * 400)).status_code == 200
    response = api.call("CGW.staff", "GET", f"/tasks?{long_query}")
    assert response.status_code == 414 and response.mimetype == "application/problem+json"


def test_an_undeclared_query_parameter_is_400(api: Api) -> None:
    response = api.call("CGW.staff", "GET", "/tasks?stauts=open")
    assert response.status_code == 400 and "stauts" in response.get_json()["detail"]


def test_nul_in_the_login_name_of_no_account_is_422_naming_the_field(app: Flask) -> None:
    client = app.test_client()
    token = csrf_token_of(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "nobody\x00", "password": "x", "csrf_token": token})
    assert response.status_code == 422
    assert "username" in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["category=%00", "street=a%00b", "department=%00"])
def test_nul_in_a_query_string_is_422_naming_the_parameter(api: Api, query: str) -> None:
    response = api.call("DCS.supervisor", "GET", f"/overdue?{query}")
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == [query.split("=")[0]]


def test_lone_surrogates_and_nul_in_json_are_422_naming_the_field(api: Api, flow: Flow) -> None:
    flow.deploy()
    token = api.token("HP.officer")
    body = '{"process": "whistle", "data": {"description": "\\ud800", "address": "a\\u0000b"}}'
    response = api.client.post("/api/v1/instances", data=body, content_type="application/json",
                               headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422
    assert sorted(e["field"] for e in response.get_json()["errors"]) == ["data.address", "data.description"]
    assert api.call("HP.officer", "GET", "/instances").get_json()["items"] == []


def test_nul_in_a_page_form_field_is_422_and_saves_nothing(pages: Pages, flow: Flow) -> None:
    case = flow.blow()
    officer = pages.as_("HP.officer")
    response = officer.post(f"/cases/{case}/withdraw", {"reason": "重复\x00吹哨", "confirm": "yes"})
    assert response.status_code == 422 and "reason" in response.get_data(as_text=True)
    assert flow.instance(case).status.value == "running"


@pytest.mark.parametrize("target", ["/\r\nSet-Cookie: a=1", "/tasks\n", "/%0d%0a", "\\\\evil.example", "//evil"])
def test_unsafe_next_after_login_goes_home(app: Flask, target: str) -> None:
    client = app.test_client()
    token = csrf_token_of(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "CGW.staff", "password": "whistle-demo",
                                           "csrf_token": token, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == ("/" if "\n" in target or "\\" in target or "//" in target else target)


def test_language_switch_with_crlf_in_next_goes_home(app: Flask) -> None:
    response = app.test_client().get("/lang/en?next=/tasks%0d%0aSet-Cookie:%20a=1")
    assert response.status_code == 302 and response.headers["Location"] == "/"


@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000, b'{"reason": "x', b"\xff\xfe",
                                  b'{"data":' * 40 + b"1" + b"}" * 40])
def test_deep_or_broken_json_is_400(api: Api, body: bytes) -> None:
    token = api.token("HP.officer")
    response = api.client.post("/api/v1/instances/1/cancel", data=body, content_type="application/json",
                               headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_json_within_the_depth_bound_is_read(api: Api) -> None:
    nested = '{"reason": "重复吹哨", "x": ' + "[" * 30 + "]" * 30 + "}"
    token = api.token("HP.officer")
    response = api.client.post("/api/v1/instances/1/cancel", data=nested, content_type="application/json",
                               headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404  # read, then: no such case


@pytest.fixture
def small_app(db: Database, ctx: EngineContext, esc: Escalation, clock: FakeClock, tmp_path: Path) -> Flask:
    """The app with a body cap of 4 KB (uploads keep 1 MB)."""
    settings = Settings(instance_path=tmp_path / "instance", secret_key="test-secret", max_body_bytes=4096,
                        max_upload_bytes=1024 * 1024)
    return create_app(services=Services(settings=settings, db=db, ctx=ctx, clock=clock, escalation=esc))


def test_bodies_over_the_cap_are_413_before_they_are_read(small_app: Flask, api: Api) -> None:
    token = api.token("HP.officer")
    big = '{"process": "whistle", "data": {"description": "' + "长" * 5000 + '"}}'
    response = small_app.test_client().post("/api/v1/instances", data=big, content_type="application/json",
                                            headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_uploads_keep_their_own_limit(small_app: Flask, api: Api) -> None:
    token = api.token("designer")
    bpmn = (WHISTLE_PACK / "whistle.bpmn").read_bytes()
    assert len(bpmn) > 4096
    forms = [(io.BytesIO(path.read_bytes()), path.name) for path in sorted((WHISTLE_PACK / "forms").glob("*.json"))]
    response = small_app.test_client().post("/api/v1/definitions", data={
        "file": (io.BytesIO(bpmn), "whistle.bpmn"), "forms": forms}, content_type="multipart/form-data",
        headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.get_data(as_text=True)


def test_a_whistle_with_ordinary_text_still_starts(api: Api, flow: Flow) -> None:
    flow.deploy()
    response = api.call("HP.officer", "POST", "/instances", {"process": "whistle", "data": {
        **WHISTLE_DATA, "description": "第一行\r\n第二行\t<b>不是标签</b>"}})
    assert response.status_code == 201, response.get_data(as_text=True)


def test_every_integer_in_a_url_rule_is_a_bounded_id(app: Flask) -> None:
    plain = [rule.rule for rule in app.url_map.iter_rules() for converter in rule._converters.values()
             if isinstance(converter, IntegerConverter) and not isinstance(converter, IdConverter)]
    assert plain == [], "use <id:...>: a plain <int:...> lets 2**31 reach the database"
    assert any(isinstance(c, IdConverter) for rule in app.url_map.iter_rules() for c in rule._converters.values())


def test_a_page_form_over_the_cap_is_a_413_page_that_says_so(small_app: Flask) -> None:
    client = small_app.test_client()
    token = csrf_token_of(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "x", "password": "长" * 3000, "csrf_token": token})
    assert response.status_code == 413 and response.mimetype == "text/html"
    assert "一个表单的文字内容最多 4 KB" in response.get_data(as_text=True)
