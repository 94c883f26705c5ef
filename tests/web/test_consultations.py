"""议事协商 on the public site (the yishi pack): a committee posts a proposal; verified residents of its
community comment and vote once each during the comment period, which its BPMN timer closes (a fake clock
and the worker's sweep); residents of another community cannot vote; the decision and the work's progress
are public; and a resident signs up with a phone code sent through the Verifier."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from lxml import html as lxml_html
from sqlalchemy import delete

from engine.database import Database
from engine.models import User
from escalation.config import Escalation
from tests.conftest import empty_case_tables
from tests.support import PROCESSES, Flow
from tests.web.conftest import Pages, csrf_token_of
from tests.web.test_public_demands import known_captcha

YISHI = PROCESSES / "yishi"
PROPOSAL = {"title": "3 号楼加装电梯", "content": "3 号楼老人多，上下楼困难。拟申请加装电梯，费用按楼层分摊。",
            "comment_days": 7}


def tally(app: Flask, case: int) -> dict[str, str]:
    """The public tally, read signed out."""
    page = lxml_html.fromstring(app.test_client().get(f"/public/proposals/{case}").get_data(as_text=True))
    return {li.get("data-choice"): li.xpath("string(strong)") for li in page.xpath("//*[@data-tally]/li")}


def post(pages: Pages, user: str, path: str, data: dict[str, str]) -> str:
    """A signed-in post, then the page it leads to (with its flash)."""
    client = pages.as_(user)
    answer = client.post(path, data=data)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    return client.get(answer.headers["Location"]).get_data(as_text=True)


def test_one_vote_per_resident_of_the_community_until_the_timer_closes_it(app: Flask, pages: Pages, flow: Flow,
                                                                          esc: Escalation) -> None:
    flow.deploy(YISHI / "yishi.bpmn")
    case = flow.start("yishi", PROPOSAL, as_="HP-01.committee")
    assert flow.instance(case).case_data["community"] == "HP-01"  # the committee's own community
    vote = f"/public/proposals/{case}/vote"
    assert "投票成功" in post(pages, "13800000001", vote, {"choice": "support"})
    assert "已对该议题投过票" in post(pages, "13800000001", vote, {"choice": "oppose"})  # the first vote stands
    assert "只有本社区" in post(pages, "13800000003", vote, {"choice": "oppose"})  # 安定门社区, not 和平里社区
    assert "请选择投票意见" in post(pages, "13800000002", vote, {"choice": "maybe"})
    shown = post(pages, "13800000002", f"/public/proposals/{case}/comments", {"body": "支持，但要保证低层住户的采光"})
    assert "意见已发表" in shown and "支持，但要保证低层住户的采光" in shown
    assert tally(app, case) == {"support": "1", "oppose": "0", "abstain": "0"}
    anonymous = app.test_client().get(f"/public/proposals/{case}").get_data(as_text=True)
    assert "3 号楼加装电梯" in anonymous and 'data-window="open"' in anonymous
    assert "13800000001" not in anonymous and "13800000002" not in anonymous and "138****" not in anonymous
    assert "data-vote-form" not in anonymous  # signed out: a link to sign in instead

    flow.clock.advance(days=6)
    flow.sweep(esc)
    assert flow.open_tasks(case) == []  # still in the comment period
    flow.clock.advance(days=2)
    flow.sweep(esc)  # the timer fires: the period is over and the committee decides
    assert [t.element_id for t in flow.open_tasks(case)] == ["Task_decide"]
    assert "公示期已结束" in post(pages, "13800000002", vote, {"choice": "oppose"})
    assert tally(app, case) == {"support": "1", "oppose": "0", "abstain": "0"}

    flow.complete(flow.open_tasks(case)[0].id, {"outcome": "adopt", "reasons": "多数居民赞成，低层采光另行补偿"},
                  as_="HP-01.committee")
    flow.complete(flow.open_tasks(case)[0].id, {"note": "已完成设计并报审", "finished": False}, as_="HP-01.committee")
    flow.complete(flow.open_tasks(case)[0].id, {"note": "电梯已安装并验收", "finished": True}, as_="HP-01.committee")
    page = lxml_html.fromstring(app.test_client().get(f"/public/proposals/{case}").get_data(as_text=True))
    assert [" ".join(t.split()) for t in page.xpath("//*[@data-decision]//dd/text()")] == [
        "通过，组织实施", "多数居民赞成，低层采光另行补偿"]
    assert [n.text_content() for n in page.xpath("//*[@data-progress]//*[@class='note']")] == [
        "已完成设计并报审", "电梯已安装并验收"]
    listed = app.test_client().get("/public/proposals").get_data(as_text=True)
    assert "3 号楼加装电梯" in listed and "和平里社区" in listed


class Recorder:
    """A Verifier that keeps the codes instead of sending them."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, phone: str, code: str) -> None:
        self.sent.append((phone, code))


@pytest.fixture
def newcomer(db: Database) -> Iterator[str]:
    """The phone number a test signs up with; its account and traces are removed afterwards."""
    yield "13811112222"
    empty_case_tables(db)
    with db.transaction() as session:
        session.execute(delete(User).where(User.username == "13811112222"))


def test_a_resident_signs_up_verifies_the_phone_and_votes(app: Flask, flow: Flow, newcomer: str) -> None:
    flow.deploy(YISHI / "yishi.bpmn")
    case = flow.start("yishi", PROPOSAL, as_="HP-01.committee")
    known_captcha(app)
    recorder = app.extensions["whistle_verifier"] = Recorder()
    client = app.test_client()
    form = client.get("/public/account/new")
    token = csrf_token_of(form.get_data(as_text=True))
    client.get("/public/captcha.png")
    signed = client.post("/public/account/new", data={"phone": "138 1111 2222", "password": "longenough-1",
                                                      "home": "HP-01", "captcha": "4242", "csrf_token": token})
    assert signed.status_code == 302 and recorder.sent and recorder.sent[-1][0] == "13811112222"
    early = client.post("/login", data={"username": "13811112222", "password": "longenough-1", "csrf_token": token})
    assert early.status_code != 302  # not verified yet: no sign-in
    wrong = client.post("/public/account/verify", data={"phone": "13811112222", "code": "000000",
                                                        "csrf_token": token})
    assert wrong.status_code == 422 and "验证码错误" in wrong.get_data(as_text=True)
    right = client.post("/public/account/verify", data={"phone": "13811112222", "code": recorder.sent[-1][1],
                                                        "csrf_token": token})
    assert right.status_code == 302
    login = client.get("/login")
    signed_in = client.post("/login", data={"username": "13811112222", "password": "longenough-1",
                                            "csrf_token": csrf_token_of(login.get_data(as_text=True))})
    assert signed_in.status_code == 302
    page = client.get(f"/public/proposals/{case}").get_data(as_text=True)
    voted = client.post(f"/public/proposals/{case}/vote", data={"choice": "abstain",
                                                              "csrf_token": csrf_token_of(page)})
    assert voted.status_code == 302 and tally(app, case)["abstain"] == "1"
