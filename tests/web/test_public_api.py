"""The public part of the API (/api/v1/public/…), with no token: a demand's progress and rating for its tracking
number and phone number (one 404 for any mistake, rate limited per address), the month's figures as the
statistics page shows them, and the proposals with their tallies."""
from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from lxml import html as lxml_html
from sqlalchemy import select

from engine.models import PublicDemand, TaskEvent
from tests.support import Flow
from tests.web.conftest import Pages
from tests.web.test_consultations import PROPOSAL, YISHI
from tests.web.test_public_demands import RESIDENT, known_captcha, report
from tests.web.test_ywtb_http import YWTB

PROGRESS = "/api/v1/public/demands/progress"
RATING = "/api/v1/public/demands/rating"


def sent(app: Flask, flow: Flow) -> tuple[str, int]:
    """A resident's demand sent on the site, dispatched, signed and answered: its tracking code and case."""
    flow.deploy(YWTB / "ywtb.bpmn")
    known_captcha(app)
    assert report(app.test_client(), RESIDENT).status_code == 302
    with flow.db.transaction(write=False) as session:
        demand = session.execute(select(PublicDemand)).scalar_one()
    case = demand.instance_id
    flow.complete(flow.open_tasks(case, "Task_dispatch")[0].id, {"handler": "SWJ"}, as_="SFQ-CY.dispatcher")
    flow.complete(flow.open_tasks(case, "Task_sign")[0].id, {"decision": "sign"}, as_="SWJ.caseworker")
    flow.complete(flow.open_tasks(case, "Task_handle")[0].id,
                  {"contacted": True, "result": "已抢修二次供水泵组，供水恢复"}, as_="SWJ.caseworker")
    return demand.code, case


def post(client: FlaskClient, path: str, body: dict[str, Any]) -> Any:
    """A post in Chinese (the API answers in English unless asked, as a resident's app does)."""
    return client.post(path, json=body, headers={"Accept-Language": "zh-CN"})


def test_a_resident_app_follows_and_rates_a_demand_without_a_token(app: Flask, flow: Flow) -> None:
    code, case = sent(app, flow)
    client = app.test_client()
    wrong = post(client, PROGRESS, {"code": code, "phone": "13900000000"})
    unknown = post(client, PROGRESS, {"code": "ABCDEFGHJK", "phone": "13912345678"})
    assert wrong.status_code == unknown.status_code == 404  # a stranger cannot tell a real code from a guess
    assert wrong.mimetype == "application/problem+json" and wrong.json["detail"] == unknown.json["detail"]
    assert post(client, PROGRESS, {"code": code}).status_code == 422  # the phone is required
    found = post(client, PROGRESS, {"code": code.lower(), "phone": "139-1234-5678"})
    assert found.status_code == 200, found.json
    progress = found.json
    assert progress["code"] == code and progress["reply"] == "已抢修二次供水泵组，供水恢复"
    assert progress["rating_open"] is True
    assert any("水务局" in (step["unit"] or "") for step in progress["steps"]) and len(progress["steps"]) == 4
    assert {"label": "诉求所在街道（乡镇）", "value": "和平街道"} in progress["shown"]  # unit names, not codes
    assert "张三丰" not in found.get_data(as_text=True)  # the name given is never repeated
    refused = post(client, RATING, {"code": code, "phone": "13912345678", "rating": 9})
    assert refused.status_code == 422 and flow.instance(case).status == "running"  # the rating form's own choices
    wrong_answer = post(client, RATING, {"code": code, "phone": "13912345678", "rating": 5,
                                         "answers": {"solved": "maybe"}})
    assert wrong_answer.status_code == 422 and flow.instance(case).status == "running"  # the form's choices
    rated = post(client, RATING, {"code": code, "phone": "13912345678", "rating": 5, "comment": "很及时",
                                  "answers": {"solved": "solved", "rated_by": "callback"}})
    assert rated.status_code == 200 and rated.json["rating_open"] is False
    assert flow.instance(case).status == "completed"
    with flow.db.transaction(write=False) as session:
        answer = session.execute(select(TaskEvent.payload).where(
            TaskEvent.instance_id == case, TaskEvent.action == "completed").order_by(TaskEvent.id.desc())).scalar()
    assert answer["data"]["solved"] == "solved"
    assert answer["data"]["rated_by"] == "requester"  # only what the channel asks is taken from the answers
    again = post(client, RATING, {"code": code, "phone": "13912345678", "rating": 1})
    assert again.status_code == 409  # nothing left to rate
    # The month's rates count the answer: 解决率 and 满意率 one of one for the unit that handled it.
    flow.deploy_policy(YWTB / "policies" / "ywtb.yaml")
    month = client.get(f"/api/v1/public/statistics?process=ywtb&month={flow.clock.now():%Y-%m}").json
    codes = [rate["code"] for rate in month["rates"]]
    [unit] = [line for line in month["units"] if line["code"] == "SWJ"]
    for rate in ("solution", "satisfaction", "response"):
        cell = unit["cells"][codes.index(rate)]
        assert (cell["hits"], cell["of"]) == (1, 1), (rate, cell)


def test_posts_with_a_phone_are_rate_limited_per_address(app: Flask) -> None:
    client = app.test_client()
    answers = [post(client, PROGRESS, {"code": "ABCDEFGHJK", "phone": "1"}).status_code for _ in range(11)]
    assert answers[:10] == [404] * 10 and answers[10] == 429


def test_the_month_in_json_is_the_statistics_page(app: Flask, flow: Flow) -> None:
    code, case = sent(app, flow)
    flow.deploy_policy(YWTB / "policies" / "ywtb.yaml")
    client = app.test_client()
    month = client.get("/api/v1/public/statistics?process=ywtb")
    assert month.status_code == 200, month.json
    body = month.json
    assert body["process"] == "ywtb" and [r["code"] for r in body["rates"]]
    assert [c["number"] for c in body["cases"]] == [case]
    [line] = body["cases"]
    assert (line["street"], line["community"]) == ("和平街道", "和平里社区")
    page = lxml_html.fromstring(client.get("/public/statistics?process=ywtb").get_data(as_text=True))
    numbers = [int(n) for n in page.xpath("//*[@data-case]/@data-case")]
    assert numbers == [c["number"] for c in body["cases"]]
    assert sum(len(d["cells"]) for d in body["districts"]) == len(page.xpath("//*[@data-area]"))
    assert body["trend"]["field"] == "category" and len(body["trend"]["months"]) == 6
    assert client.get("/api/v1/public/statistics?process=nosuch").status_code == 404
    assert client.get("/api/v1/public/statistics?process=ywtb&by=requester_name").status_code == 400
    assert client.get("/api/v1/public/statistics?name=1").status_code == 400  # undeclared parameter
    assert client.get("/api/v1/tasks").status_code == 401  # the rest of the API still wants a token


def test_proposals_and_their_tallies_in_json(app: Flask, flow: Flow, pages: Pages) -> None:
    client = app.test_client()
    assert client.get("/api/v1/public/proposals").json["items"] == []
    flow.deploy(YISHI / "yishi.bpmn")
    case = flow.start("yishi", PROPOSAL, as_="HP-01.committee")
    voted = pages.as_("13800000001").post(f"/public/proposals/{case}/vote", data={"choice": "support"})
    assert voted.status_code == 302
    [row] = client.get("/api/v1/public/proposals").json["items"]
    assert (row["id"], row["title"], row["community"]) == (case, "3 号楼加装电梯", "和平里社区")
    proposal = client.get(f"/api/v1/public/proposals/{case}").json
    assert proposal["open"] is True and proposal["closes_at"]
    assert {t["value"]: t["count"] for t in proposal["tally"]} == {"support": 1, "oppose": 0, "abstain": 0}
    assert client.get(f"/api/v1/public/proposals/{case + 1000}").status_code == 404
