"""Blowing the same whistle twice: one-time form tokens, and the suspected-duplicate warning (page and API)."""
from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.context import EngineContext
from engine.database import Database
from engine.models import ProcessInstance
from engine.whistle_rules import same_address
from escalation.calendars import Calendars
from tests.support import PROCESSES, WHISTLE_DATA, FakeClock, Flow
from tests.web.conftest import Api, PageClient, Pages
from tests.web.test_pages_street import FORM, case_id_of
from web.services import engine_context
from web.settings import Settings, SettingsError


@pytest.fixture
def warned(ctx: EngineContext) -> EngineContext:
    """The production window: three days (the shared test context has the warning off)."""
    ctx.duplicate_days = 3
    return ctx


def cases(db: Database) -> int:
    """How many cases exist."""
    with db.transaction(write=False) as session:
        return session.execute(select(func.count()).select_from(ProcessInstance)).scalar_one()


def token_of(html: str) -> str:
    """The one-time token a whistle form carries."""
    found = re.search(r'name="form_token" value="([^"]+)"', html)
    assert found, "the form carries no one-time token"
    return found.group(1)


def submit(officer: PageClient, token: str, **changes: Any) -> Any:
    """Post the whistle form with ``token`` (what Back then 吹哨 sends again)."""
    return officer.post("/whistles/new", data={**FORM, "form_token": token, **changes})


def test_sending_the_same_form_again_points_at_the_case_instead_of_blowing_twice(
        pages: Pages, flow: Flow, db: Database) -> None:
    flow.deploy()
    officer = pages.as_("HP.officer")
    token = token_of(officer.get("/whistles/new").get_data(as_text=True))
    first = case_id_of(submit(officer, token))
    again = submit(officer, token)
    assert again.status_code == 409 and cases(db) == 1
    body = again.get_data(as_text=True)
    assert "此表单已提交过" in body and f'href="/whistles/{first}"' in body and 'class="topbar"' in body
    # A fresh form (a new token) blows a new whistle: only the replay is refused.
    fresh = token_of(officer.get("/whistles/new").get_data(as_text=True))
    assert fresh != token
    case_id_of(submit(officer, fresh, address="和平里八区 2 号楼"))
    assert cases(db) == 2


def test_a_corrected_form_keeps_its_token_until_it_succeeds(pages: Pages, flow: Flow, db: Database) -> None:
    flow.deploy()
    officer = pages.as_("HP.officer")
    token = token_of(officer.get("/whistles/new").get_data(as_text=True))
    wrong = submit(officer, token, address="")
    assert wrong.status_code == 422 and token_of(wrong.get_data(as_text=True)) == token
    case_id_of(submit(officer, token))  # the correction is the first successful submit
    assert submit(officer, token).status_code == 409 and cases(db) == 1


def test_a_whistle_like_a_recent_one_is_held_until_the_officer_confirms(
        pages: Pages, flow: Flow, db: Database, warned: EngineContext, clock: FakeClock) -> None:
    flow.deploy()
    officer = pages.as_("HP.officer")
    first = case_id_of(officer.post("/whistles/new", data=FORM))
    clock.advance(days=2)
    officer = pages.as_("HP.officer")  # signed out meanwhile (idle)
    # Full-width digits and other spacing are the same address.
    same = {"address": "和平里七区５号楼  楼顶", "title": "又见楼顶违建"}
    held = officer.post("/whistles/new", data={**FORM, **same})
    assert held.status_code == 409 and cases(db) == 1
    body = held.get_data(as_text=True)
    assert "疑似重复" in body and f'href="/whistles/{first}"' in body
    assert 'name="confirm_duplicate" value="1"' in body and "仍然吹哨" in body
    assert "又见楼顶违建" in body  # what was entered is kept
    second = case_id_of(officer.post("/whistles/new", data={**FORM, **same, "confirm_duplicate": "1"}))
    assert second != first and cases(db) == 2


def test_other_categories_other_addresses_and_older_cases_are_no_duplicates(
        pages: Pages, flow: Flow, db: Database, warned: EngineContext, clock: FakeClock) -> None:
    flow.deploy()
    officer = pages.as_("HP.officer")
    case_id_of(officer.post("/whistles/new", data=FORM))
    case_id_of(officer.post("/whistles/new", data={**FORM, "category": "HJWS"}))
    case_id_of(officer.post("/whistles/new", data={**FORM, "address": "和平里七区 6 号楼楼顶"}))
    clock.advance(days=3, minutes=1)  # the window is three days
    officer = pages.as_("HP.officer")
    case_id_of(officer.post("/whistles/new", data=FORM))
    assert cases(db) == 4


def test_the_api_answers_a_suspected_duplicate_with_the_earlier_cases_and_takes_a_confirmation(
        api: Api, flow: Flow, db: Database, warned: EngineContext) -> None:
    flow.deploy()
    body = {"process": "whistle", "data": WHISTLE_DATA}
    first = api.call("HP.officer", "POST", "/instances", body)
    assert first.status_code == 201
    held = api.call("HP.officer", "POST", "/instances", body)
    problem = held.get_json()
    assert held.status_code == 422 and problem["code"] == "needs_confirmation"
    assert problem["cases"] == [first.get_json()["id"]]
    assert [e["code"] for e in problem["errors"]] == ["suspected_duplicate"]
    assert cases(db) == 1
    assert api.call("HP.officer", "POST", "/instances", {**body, "confirmed": True}).status_code == 201
    assert cases(db) == 2


def test_addresses_are_compared_without_width_spacing_or_case() -> None:
    assert same_address("和平里七区 5 号楼 Ａ座") == same_address("和平里七区５号楼a座") == "和平里七区5号楼a座"
    assert same_address("和平里七区 5 号楼") != same_address("和平里七区 6 号楼")


def test_the_window_is_set_by_whistle_duplicate_days_within_its_bounds(calendars: Calendars) -> None:
    settings = Settings.from_env({"WHISTLE_DUPLICATE_DAYS": "7"}, processes_dir=PROCESSES)
    assert engine_context(settings, calendars).duplicate_days == 7
    assert Settings.from_env({}).duplicate_days == 3
    assert Settings.from_env({"WHISTLE_DUPLICATE_DAYS": "0"}).duplicate_days == 0  # off
    with pytest.raises(SettingsError, match="WHISTLE_DUPLICATE_DAYS"):
        Settings.from_env({"WHISTLE_DUPLICATE_DAYS": "366"})
