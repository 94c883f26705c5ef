"""线上线下融合: a window clerk takes a request in for a resident who does not go online. The demand records the
counter and the clerk; the printable receipt shows the tracking number and a masked phone, never the name; only
the clerk who took it in opens it again; staff who may not start the intake get 403; the resident follows it on
the public site with the number and phone, as if they had sent it themselves."""
from __future__ import annotations

from typing import Any

from flask import Flask
from lxml import html as lxml_html
from sqlalchemy import select

from engine import accounts
from engine.models import Department, PublicDemand, TaskEvent
from tests.support import Flow
from tests.web.conftest import Pages, csrf_token_of
from tests.web.test_pages_quality import _english, _forms_without_csrf
from tests.web.test_public_demands import RESIDENT, cases
from tests.web.test_ywtb_http import YWTB

NEW = "/public/counter/new"


def menu_entry(page: str) -> list[str]:
    """The main menu's 代办诉求 entry (its link), when the page shows it."""
    return lxml_html.fromstring(page).xpath("//nav[@id='mainnav']//a[normalize-space()='代办诉求']/@href")


def recorded(flow: Flow, helper: str) -> tuple[PublicDemand, int, tuple[int, str, dict[str, Any]]]:
    """The one demand taken in, the helper's user id, and its history entry: (actor, unit code, payload)."""
    with flow.db.transaction(write=False) as session:
        demand = session.execute(select(PublicDemand)).scalar_one()
        taken = session.execute(select(TaskEvent.actor_id, Department.code, TaskEvent.payload)
                                .join(Department, Department.id == TaskEvent.department_id)
                                .where(TaskEvent.action == "taken_in_for_resident")).one()
        return demand, accounts.user_by_name(session, helper).id, tuple(taken)  # type: ignore[return-value]


def test_a_clerk_takes_a_request_in_and_the_resident_follows_it(app: Flask, pages: Pages, flow: Flow) -> None:
    flow.deploy(YWTB / "ywtb.bpmn")
    clerk = pages.as_("SFQ-ZW.clerk")
    form = clerk.get(NEW).get_data(as_text=True)
    assert 'name="came_by"' in form and 'name="requester_phone"' in form and 'name="captcha"' not in form
    assert _english(form) == [] and _forms_without_csrf(form) == []
    missing = clerk.post(NEW, data={**RESIDENT, "description": ""})  # neither how they came nor a description
    text = missing.get_data(as_text=True)
    assert missing.status_code == 422 and "请选择受理方式" in text and cases(flow) == 0
    assert lxml_html.fromstring(text).xpath("string(//*[@data-field='description']//*[@role='alert'])").strip()

    sent = clerk.post(NEW, data={**RESIDENT, "came_by": "window"})
    assert sent.status_code == 302 and "/public/counter/receipt/" in sent.headers["Location"]
    code = sent.headers["Location"].rsplit("/", 1)[1]
    demand, helper, taken = recorded(flow, "SFQ-ZW.clerk")
    assert (demand.code, demand.channel, demand.helper_id) == (code, "counter", helper)
    assert taken == (helper, "SFQ-ZW", {"how": "window"})
    assert flow.instance(demand.instance_id).case_data["requester_name"] == "张三丰"

    page = clerk.get(sent.headers["Location"]).get_data(as_text=True)
    receipt = lxml_html.fromstring(page)
    assert receipt.xpath("string(//*[@data-code]/@data-code)") == code
    assert receipt.xpath("string(//*[@data-phone])").strip() == "139****5678"
    assert receipt.xpath("string(//*[@data-unit])").strip() == "示范区政务服务中心"
    assert "窗口受理" in page and "/public/track" in page and "12345" in page and "data-print" in page
    assert "张三丰" not in page and "1234 5678" not in page and "12345678" not in page
    assert _english(page) == []
    listing = clerk.get("/public/counter").get_data(as_text=True)
    assert f'data-taken-in="{code}"' in listing and _english(listing) == [] and menu_entry(listing)

    # A repeat of the same place and problem asks first, as the resident's form does; 仍然提交 sends it.
    again = clerk.post(NEW, data={**RESIDENT, "came_by": "phone"})
    assert again.status_code == 409 and "data-repeat" in again.get_data(as_text=True) and cases(flow) == 1
    assert clerk.post(NEW, data={**RESIDENT, "came_by": "phone", "confirmed": "1"}).status_code == 302
    assert cases(flow) == 2

    # Another clerk never opens this receipt; staff who may not start the intake get no form; strangers sign in.
    other = pages.as_("SFQ-CY.clerk")
    assert other.get(f"/public/counter/receipt/{code}").status_code == 404
    assert f'data-taken-in="{code}"' not in other.get("/public/counter").get_data(as_text=True)
    staff = pages.as_("CGW.staff")
    assert staff.get(NEW).status_code == 403
    assert staff.post(NEW, data={**RESIDENT, "came_by": "window"}).status_code == 403
    assert not menu_entry(staff.get("/notifications").get_data(as_text=True))
    assert app.test_client().get(NEW).headers["Location"].startswith("/login")
    assert cases(flow) == 2

    # The resident follows it on the public site with the tracking number and the phone number.
    resident = app.test_client()
    token = csrf_token_of(resident.get("/public/track").get_data(as_text=True))
    found = resident.post("/public/track", data={"code": code, "phone": "13912345678", "csrf_token": token})
    assert found.status_code == 302 and found.headers["Location"].endswith(f"/public/demands/{code}")
    assert resident.get(f"/public/demands/{code}").status_code == 200


def test_masked_phones_keep_little() -> None:
    from engine.public_demands import masked_phone

    assert masked_phone("139 1234 5678") == "139****5678"
    assert masked_phone("+86 139-1234-5678") == "861****5678"
    assert masked_phone("62345678") == "****78"
    assert masked_phone("") == "****"
