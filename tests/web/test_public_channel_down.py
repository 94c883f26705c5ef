"""When the public channel's account cannot take demands in (disabled, here), a resident's report is refused with
what they typed kept and a plain way out, nothing is started or stored, the API's rating says 503 without naming
the account, and the operators' incidents page names the reason; enabled again, the same report goes through."""
from __future__ import annotations

from flask import Flask
from lxml import html as lxml_html
from sqlalchemy import select

from engine import accounts
from engine.models import PublicDemand
from tests.support import Flow
from tests.web.conftest import Pages
from tests.web.test_public_api import sent
from tests.web.test_public_demands import RESIDENT, cases, report

ACCOUNT = "SFQ-CY.public"  # processes/ywtb/public.yaml: starter


def set_active(flow: Flow, active: bool) -> None:
    with flow.db.transaction() as session:
        accounts.set_active(session, accounts.user_by_name(session, ACCOUNT), active, now=flow.clock.now())


def test_a_disabled_channel_account_refuses_kindly_and_operators_see_why(app: Flask, flow: Flow,
                                                                         pages: Pages) -> None:
    code, _case = sent(app, flow)  # a demand answered and waiting for its rating
    set_active(flow, False)
    try:
        refused = report(app.test_client(), RESIDENT)
        page = refused.get_data(as_text=True)
        assert refused.status_code == 503 and "网上诉求暂时无法受理" in page and "12345" in page
        assert ACCOUNT not in page  # the reason is for operators
        form = lxml_html.fromstring(page)
        assert form.xpath("string(//textarea[@name='description'])") == RESIDENT["description"]  # nothing lost
        assert cases(flow) == 1
        with flow.db.transaction(write=False) as session:
            assert len(session.execute(select(PublicDemand)).all()) == 1
        board = pages.as_("designer").get("/operate/incidents").get_data(as_text=True)
        [banner] = lxml_html.fromstring(board).xpath("//*[@data-closed-channel='ywtb']")
        assert ACCOUNT in banner.text_content() and "已停用" in banner.text_content()
        rated = app.test_client().post("/api/v1/public/demands/rating",
                                       json={"code": code, "phone": RESIDENT["requester_phone"], "rating": 5})
        assert rated.status_code == 503 and ACCOUNT not in rated.get_data(as_text=True)
    finally:
        set_active(flow, True)
    assert report(app.test_client(), {**RESIDENT, "address": "和平里九区 2 号楼"}).status_code == 302
    assert cases(flow) == 2
    board = pages.as_("designer").get("/operate/incidents").get_data(as_text=True)
    assert "data-closed-channel" not in board
