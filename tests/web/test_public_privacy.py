"""No public page ever shows a person: after demands with known names, phones and exact addresses (a 举报
among them), every page of the public site — crawled from its menu and every GET route under /public —
is fetched as a stranger, as the resident and as a voter, and none of that personal data is in any answer;
a proposal's votes and comments show no voter."""
from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urljoin

from flask import Flask
from flask.testing import FlaskClient
from lxml import html as lxml_html
from sqlalchemy import select

from engine.models import PublicDemand
from tests.support import Flow
from tests.web.conftest import Pages
from tests.web.test_consultations import PROPOSAL, YISHI
from tests.web.test_public_demands import RESIDENT, known_captcha, report
from tests.web.test_ywtb_http import YWTB

REPORTER = {**RESIDENT, "request_kind": "report", "category": "SCJG", "address": "新华路 88 号后院",
            "description": "某饭店后厨卫生很差", "requester_name": "李四光", "requester_phone": "13700001111"}
PERSONAL = ["张三丰", "13912345678", "139 1234 5678", "和平里七区 5 号楼 3 单元", "李四光", "13700001111",
            "新华路 88 号后院", "SFQ-CY.public", "SWJ.caseworker", "SFQ-CY.dispatcher",
            "13800000001", "138****0001", "HP-01.committee", "和平里社区议事会成员"]


def crawl(client: FlaskClient, start: Iterable[str]) -> dict[str, str]:
    """Every /public page reachable from ``start`` by links (GET only), with its text."""
    seen: dict[str, str] = {}
    pending = list(start)
    while pending and len(seen) < 200:
        path = pending.pop()
        if path in seen:
            continue
        answer = client.get(path)
        body = answer.get_data(as_text=True) if answer.mimetype.startswith(("text/", "application/json")) else ""
        seen[path] = body
        if answer.mimetype != "text/html":
            continue
        for href in lxml_html.fromstring(body or "<p/>").xpath("//a/@href | //img/@src | //script/@src"):
            target = urljoin(path, href).split("#")[0]
            # Other months of the statistics are the same page over other dates: following them never ends.
            if target.startswith("/public") and target not in seen and "month=" not in target:
                pending.append(target)
    return seen


def test_no_public_page_or_answer_shows_a_person(app: Flask, flow: Flow, pages: Pages) -> None:
    flow.deploy(YISHI / "yishi.bpmn")
    proposal = flow.start("yishi", PROPOSAL, as_="HP-01.committee")  # a resident votes and comments on it
    resident_client = pages.as_("13800000001")
    for path, data in ((f"/public/proposals/{proposal}/vote", {"choice": "support"}),
                       (f"/public/proposals/{proposal}/comments", {"body": "同意加装"})):
        assert resident_client.post(path, data=data).status_code == 302
    flow.deploy(YWTB / "ywtb.bpmn")
    known_captcha(app)
    resident, reporter = app.test_client(), app.test_client()
    assert report(resident, RESIDENT).status_code == 302
    assert report(reporter, REPORTER).status_code == 302
    with flow.db.transaction(write=False) as session:
        codes = dict(session.execute(select(PublicDemand.instance_id, PublicDemand.code)).all())
    flow.deploy_policy(YWTB / "policies" / "ywtb.yaml")  # the statistics count ywtb's rates
    for case in codes:  # dispatched and handled: units' steps and the reply are on the pages now
        flow.complete(flow.open_tasks(case, "Task_dispatch")[0].id, {"handler": "SWJ"}, as_="SFQ-CY.dispatcher")
        flow.complete(flow.open_tasks(case, "Task_sign")[0].id, {"decision": "sign"}, as_="SWJ.caseworker")
        flow.complete(flow.open_tasks(case, "Task_handle")[0].id, {"contacted": True, "result": "已派员到现场处理完毕"},
                      as_="SWJ.caseworker")
    routes = sorted(r.rule for r in app.url_map.iter_rules()
                    if r.rule.startswith("/public") and "GET" in (r.methods or ()) and "<" not in r.rule)
    stranger = crawl(app.test_client(), routes)
    own = crawl(resident, [*routes, "/public/demands/receipt"])
    voter = crawl(resident_client.client, routes)  # what the voter sees of the proposal, signed in
    assert any(re.search(r"/public/demands/[2-9A-Z]{10}$", p) for p in own)  # the resident's own progress page
    assert len(stranger) >= len(routes)
    assert any(p.endswith(f"/public/proposals/{proposal}") for p in stranger)
    api = answers_of_the_public_api(app, proposal, codes.values())
    for who, found_pages in (("a stranger", stranger), ("the resident", own), ("the voter", voter),
                             ("a resident's app", api)):
        # The signed-in voter's own name and number are in their top bar; nobody else's may be anywhere.
        others = [t for t in PERSONAL if who != "the voter" or t not in ("13800000001", "138****0001")]
        for path, body in found_pages.items():
            found = [text for text in others if text in body]
            assert not found, f"{path} shows {found} to {who}"


def answers_of_the_public_api(app: Flask, proposal: int, codes: Iterable[str]) -> dict[str, str]:
    """Every answer of the API's token-free routes: its GET routes, the proposal, each demand's progress."""
    client = app.test_client()
    document = client.get("/api/v1/openapi.json").json
    open_paths = [path for path, item in document["paths"].items()
                  if "{" not in path and item.get("get", {}).get("security") == []]
    assert "/public/statistics" in open_paths and "/public/proposals" in open_paths
    found = {path: client.get(f"/api/v1{path}").get_data(as_text=True) for path in open_paths}
    found["/public/proposals/{id}"] = client.get(f"/api/v1/public/proposals/{proposal}").get_data(as_text=True)
    for code in codes:  # each demand's own progress, asked with its code and its phone
        for phone in (RESIDENT["requester_phone"], REPORTER["requester_phone"]):
            answer = client.post("/api/v1/public/demands/progress", json={"code": code, "phone": phone})
            found[f"progress {code} {phone}"] = answer.get_data(as_text=True)
    assert sum('"steps"' in body for key, body in found.items() if key.startswith("progress")) == 2  # both read
    return found
