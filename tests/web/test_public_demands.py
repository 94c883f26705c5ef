"""表达诉求 on the public site, signed out: a resident reports a problem behind a captcha and gets a tracking
number at once; the demand runs through the 一网通办 intake, dispatch and handling; the resident follows it
with the number and phone, reads the reply and rates it. Strangers, wrong phones and bad captchas get nowhere,
and nothing is created by a refused post."""
from __future__ import annotations

import io
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from lxml import html as lxml_html
from sqlalchemy import func, select

from engine.models import ProcessInstance, PublicDemand
from tests.support import Flow
from tests.web.conftest import Pages, csrf_token_of
from tests.web.test_ywtb_http import YWTB

RESIDENT = {"request_kind": "complaint", "category": "SDGD", "street": "HP", "community": "和平里社区",
            "address": "和平里七区 5 号楼 3 单元", "description": "楼里停水两天了，物业不回应。",
            "requester_name": "张三丰", "requester_phone": "139 1234 5678"}


def known_captcha(app: Flask) -> None:
    """Captchas in this app show 4242 (the image is still drawn; only the digits are known)."""
    app.extensions["whistle_captcha_answers"] = lambda: "4242"


def report(client: FlaskClient, data: dict[str, Any], answer: str = "4242") -> Any:
    """Open the form (which draws a captcha), then send it."""
    form = client.get("/public/demands/new")
    assert form.status_code == 200
    assert client.get("/public/captcha.png").mimetype == "image/png"
    return client.post("/public/demands/new", data={**data, "captcha": answer,
                                                    "csrf_token": csrf_token_of(form.get_data(as_text=True))})


def cases(flow: Flow) -> int:
    with flow.db.transaction(write=False) as session:
        return session.execute(select(func.count()).select_from(ProcessInstance)).scalar_one()


def test_a_resident_reports_follows_reads_the_reply_and_rates(app: Flask, flow: Flow) -> None:
    flow.deploy(YWTB / "ywtb.bpmn")
    known_captcha(app)
    resident = app.test_client()
    wrong = report(resident, RESIDENT, answer="1111")
    assert wrong.status_code == 422 and "数字与图片不符" in wrong.get_data(as_text=True)
    missing = report(resident, {**RESIDENT, "description": ""})
    assert missing.status_code == 422 and cases(flow) == 0  # the intake form's own checks, nothing created
    program = report(resident, {**RESIDENT, "photos": (io.BytesIO(b"MZ\x90\x00 not a photo"), "photo.exe")})
    assert program.status_code == 422 and cases(flow) == 0  # only photos and documents, sniffed from the bytes
    sent = report(resident, RESIDENT)
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/public/demands/receipt")
    receipt = lxml_html.fromstring(resident.get("/public/demands/receipt").get_data(as_text=True))
    code = receipt.xpath("string(//*[@data-code]/@data-code)")
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{10}", code)
    with flow.db.transaction(write=False) as session:
        demand = session.execute(select(PublicDemand)).scalar_one()
        case = session.get(ProcessInstance, demand.instance_id)
        assert case is not None and (demand.code, demand.channel) == (code, "online")
        assert case.case_data["channel"] == "app" and case.case_data["requester_name"] == "张三丰"
        assert "1391234" not in demand.phone_digest  # only a keyed digest of the phone is kept beside the code
    # The operations centre dispatches it; the 水务局 signs and answers.
    flow.complete(flow.open_tasks(case.id, "Task_dispatch")[0].id, {"handler": "SWJ"}, as_="SFQ-CY.dispatcher")
    flow.complete(flow.open_tasks(case.id, "Task_sign")[0].id, {"decision": "sign"}, as_="SWJ.caseworker")
    flow.complete(flow.open_tasks(case.id, "Task_handle")[0].id,
                  {"contacted": True, "result": "已抢修二次供水泵组，供水恢复"}, as_="SWJ.caseworker")

    # On another phone: a stranger's guess and a wrong phone number are the same 404; the right pair opens it.
    other = app.test_client()
    assert other.get(f"/public/demands/{code}").status_code == 404
    track = other.get("/public/track")
    token = csrf_token_of(track.get_data(as_text=True))
    guessed = other.post("/public/track", data={"code": code, "phone": "13900000000", "csrf_token": token})
    assert guessed.status_code == 404 and "没有找到" in guessed.get_data(as_text=True)
    found = other.post("/public/track", data={"code": code.lower(), "phone": "13912345678", "csrf_token": token})
    assert found.status_code == 302
    page = lxml_html.fromstring(other.get(f"/public/demands/{code}").get_data(as_text=True))
    assert page.xpath("string(//*[@data-reply])").strip().endswith("已抢修二次供水泵组，供水恢复")
    steps = [" ".join(s.text_content().split()) for s in page.xpath("//li[@data-step]")]
    assert any("水务局" in s for s in steps) and len(steps) == 4  # dispatch, sign, handle, rating
    assert page.xpath("//*[@data-rating-form]//input[@name='rating']/@value") == ["5", "4", "3", "2", "1"]
    # The channel also asks whether the problem was solved (public.yaml asks): the 解决率's answer.
    assert page.xpath("//*[@data-rating-form]//input[@type='radio'][@name='solved']/@value") == ["solved", "unsolved"]
    rated = other.post(f"/public/demands/{code}/rating", data={"rating": "5", "comment": "很及时", "solved": "solved",
                                                              "csrf_token": token})
    assert rated.status_code == 302
    assert flow.instance(case.id).status == "completed"
    after = other.get(f"/public/demands/{code}").get_data(as_text=True)
    assert "已结案" in after and "data-rating-form" not in after
    again = other.post(f"/public/demands/{code}/rating", data={"rating": "1", "csrf_token": token})
    assert again.status_code == 302  # nothing left to rate: said so, nothing changed
    assert "不在待评价环节" in other.get(f"/public/demands/{code}").get_data(as_text=True)


def test_the_public_pages_need_no_sign_in_and_switch_to_large_text(app: Flask, flow: Flow) -> None:
    client = app.test_client()
    assert client.get("/public/demands/new").status_code == 404  # the intake's process is not deployed yet
    flow.deploy(YWTB / "ywtb.bpmn")
    for path in ("/public", "/public/demands/new", "/public/track"):
        answer = client.get(path)
        assert answer.status_code == 200, path
    index = client.get("/public").get_data(as_text=True)
    assert 'class="public"' in index
    client.post("/public/text-size", data={"next": "/public", "csrf_token": csrf_token_of(index)})
    assert 'class="public large-text"' in client.get("/public").get_data(as_text=True)
    assert client.get("/public/demands/NOSUCHCODE").status_code == 404
    assert client.get("/public/demands/receipt").status_code == 302  # nothing sent from this browser yet


def test_posts_are_rate_limited_per_address(app: Flask) -> None:
    client = app.test_client()
    token = csrf_token_of(client.get("/public/track").get_data(as_text=True))
    answers = [client.post("/public/track", data={"code": "ABCDEFGHJK", "phone": "1", "csrf_token": token}).status_code
               for _ in range(11)]
    assert answers[:10] == [404] * 10 and answers[10] == 429


def test_a_signed_in_resident_follows_their_requests_without_the_phone(app: Flask, flow: Flow, pages: Pages) -> None:
    flow.deploy(YWTB / "ywtb.bpmn")
    known_captcha(app)
    resident = pages.as_("13800000001").client  # a verified resident of 和平里社区 (the yishi pack's demo)
    assert report(resident, {**RESIDENT, "address": "和平里八区 1 号楼"}).status_code == 302
    page = lxml_html.fromstring(resident.get("/public/demands/mine").get_data(as_text=True))
    [code] = page.xpath("//*[@data-mine]/@data-mine")
    assert resident.get(f"/public/demands/{code}").status_code == 200  # proved by the account, no phone asked
    assert "我的诉求" in resident.get("/public").get_data(as_text=True)
    anonymous = app.test_client()
    assert anonymous.get("/public/demands/mine").status_code == 302  # sign in first
    assert report(anonymous, {**RESIDENT, "address": "和平里八区 2 号楼"}).status_code == 302
    listed = lxml_html.fromstring(resident.get("/public/demands/mine").get_data(as_text=True))
    assert listed.xpath("//*[@data-mine]/@data-mine") == [code]  # someone else's report is not theirs
    staff = pages.as_("SFQ-CY.clerk").client
    assert "我的诉求" not in staff.get("/public").get_data(as_text=True)
