"""社区代办: a community worker takes a demand in for a resident at the counter pages, as a window clerk does, because
ywtb.bpmn's start event adds their role (``also_started_by``); the history names them and their community. They
are not intake clerks: a 举报 reporter's name and phone stay hidden from them; staff with no starting role get 403."""
from __future__ import annotations

from flask import Flask
from lxml import html as lxml_html
from sqlalchemy import select

from engine.confidential import HIDDEN
from engine.models import ProcessInstance, PublicDemand
from tests.support import Flow
from tests.web.conftest import Api, Pages
from tests.web.test_confidential_reports import REPORT
from tests.web.test_pages_quality import _english, _forms_without_csrf
from tests.web.test_public_counter import NEW, menu_entry, recorded
from tests.web.test_public_demands import RESIDENT, cases
from tests.web.test_ywtb_http import YWTB

WORKER = "HP-01.worker"  # 和平里社区工作者 (processes/ywtb/demo.yaml: one per community)


def test_a_community_worker_takes_a_demand_in_and_the_history_names_them(app: Flask, pages: Pages,
                                                                         flow: Flow) -> None:
    flow.deploy(YWTB / "ywtb.bpmn")
    worker = pages.as_(WORKER)
    home = worker.get("/", follow_redirects=True)
    assert home.status_code == 200 and menu_entry(home.get_data(as_text=True))
    form = worker.get(NEW)
    text = form.get_data(as_text=True)
    # Their own street is chosen already (和平里社区 lies in 和平街道); a district window clerk's is not.
    assert lxml_html.fromstring(text).xpath("//select[@name='street']/option[@selected]/@value") == ["HP"]
    clerk_form = pages.as_("SFQ-ZW.clerk").get(NEW).get_data(as_text=True)
    assert lxml_html.fromstring(clerk_form).xpath("//select[@name='street']/option[@selected]/@value") == []
    assert form.status_code == 200 and 'name="came_by"' in text and 'name="requester_phone"' in text
    assert _english(text) == [] and _forms_without_csrf(text) == []

    sent = worker.post(NEW, data={**RESIDENT, "came_by": "community"})
    assert sent.status_code == 302 and "/public/counter/receipt/" in sent.headers["Location"]
    code = sent.headers["Location"].rsplit("/", 1)[1]
    demand, helper, taken = recorded(flow, WORKER)
    assert (demand.code, demand.channel, demand.helper_id) == (code, "counter", helper)
    assert taken == (helper, "HP-01", {"how": "community"})
    receipt = worker.get(sent.headers["Location"]).get_data(as_text=True)
    page = lxml_html.fromstring(receipt)
    assert page.xpath("string(//*[@data-code]/@data-code)") == code
    assert page.xpath("string(//*[@data-unit])").strip() == "和平里社区"
    assert page.xpath("string(//*[@data-phone])").strip() == "139****5678" and "张三丰" not in receipt
    assert f'data-taken-in="{code}"' in worker.get("/public/counter").get_data(as_text=True)
    # The case itself is the operations centre's: the worker follows it by the receipt, not the case page.
    assert worker.get(f"/cases/{demand.instance_id}").status_code == 404


def test_staff_with_no_starting_role_are_refused(app: Flask, pages: Pages, flow: Flow) -> None:
    flow.deploy(YWTB / "ywtb.bpmn")
    # A community's committee member holds `start` too, but for 议事协商: not a role ywtb's start names.
    for username in ("HP-01.committee", "CGW.staff", "SFQ-CY.dispatcher"):
        other = pages.as_(username)
        assert other.get(NEW).status_code == 403, username
        assert other.post(NEW, data={**RESIDENT, "came_by": "community"}).status_code == 403, username
        assert not menu_entry(other.get("/notifications").get_data(as_text=True)), username
    assert cases(flow) == 0


def test_a_reporter_stays_hidden_from_the_community_worker(app: Flask, pages: Pages, api: Api, flow: Flow) -> None:
    flow.deploy(YWTB / "ywtb.bpmn")
    worker = pages.as_(WORKER)
    # Taken in at the counter: the receipt never shows the name, and the case page is not theirs to open.
    sent = worker.post(NEW, data={**RESIDENT, "request_kind": "report", "category": "SCJG", "address": "新华路 88 号",
                                  "requester_name": "王五", "requester_phone": "13700002222", "came_by": "window"})
    assert sent.status_code == 302
    receipt = worker.get(sent.headers["Location"]).get_data(as_text=True)
    assert "王五" not in receipt and "13700002222" not in receipt
    with flow.db.transaction(write=False) as session:
        counter_case = session.execute(select(PublicDemand.instance_id)).scalar_one()
    assert worker.get(f"/cases/{counter_case}").status_code == 404

    # Started by the worker themselves (the API, or a case they follow): readable, the reporter hidden all the same.
    case = flow.start("ywtb", {**REPORT, "address": "新华路 90 号"}, as_=WORKER)
    answer = worker.get(f"/cases/{case}")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "王五" not in page and "13700002222" not in page and HIDDEN in page
    data = api.call(WORKER, "GET", f"/instances/{case}").get_json()["data"]
    assert (data["requester_name"], data["requester_phone"]) == (HIDDEN, HIDDEN)
    history = api.call(WORKER, "GET", f"/instances/{case}/history").get_data(as_text=True)
    assert "13700002222" not in history
    # The clerks, who read 举报 reporters, still do.
    assert "13700002222" in pages.as_("SFQ-CY.clerk").get(f"/cases/{case}").get_data(as_text=True)
    with flow.db.transaction(write=False) as session:
        started = session.get(ProcessInstance, case)
        assert started is not None and started.case_data["requester_name"] == "王五"
