"""The user administration pages: list, add, seats, password, tokens, access; admins only, CSRF, confirmations."""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import delete

from engine import accounts
from engine.database import Database
from engine.models import User
from tests.conftest import empty_case_tables
from tests.web.conftest import Pages, csrf_token_of


@pytest.fixture
def cleanup(db: Database) -> Iterator[None]:
    """Users whose login starts with ``pg-`` are removed after the test."""
    yield
    empty_case_tables(db)
    with db.transaction() as session:
        session.execute(delete(User).where(User.username.like("pg-%")))


def _secret(html: str) -> str:
    found = re.search(r'<code class="secret" translate="no">([^<]+)</code>', html)
    assert found, "the page shows no secret"
    return found.group(1)


def test_only_admins_see_the_pages(pages: Pages) -> None:
    officer = pages.as_("HP.officer")
    for path in ["/admin/users", "/admin/users/admin", "/admin/new-user"]:
        assert officer.get(path).status_code == 403, path
    assert officer.post("/admin/users/HP.officer/revoke", {"confirm": "yes"}).status_code == 403
    assert pages.app.test_client().get("/admin/users").status_code == 302  # signed out: to the login page
    admin = pages.as_("admin")
    assert admin.get("/admin/users/nobody").status_code == 404
    assert admin.get("/admin/users/" + "x" * 65).status_code == 404


def test_the_list_filters_and_is_in_chinese(pages: Pages) -> None:
    admin = pages.as_("admin")
    page = admin.get("/admin/users?q=CGW&role=dept_head").get_data(as_text=True)
    # The demo has a 城管委 in 示范区 and one in the neighbouring 邻区; both heads, and no one else.
    assert "用户" in page and "CGW.staff" not in page
    assert set(re.findall(r'data-user="([^"]+)"', page)) == {"CGW.head", "LHQ-CGW.head"} and "2 个用户" in page
    everyone = admin.get("/admin/users?department=HP").get_data(as_text=True)
    in_hp = set(re.findall(r'data-user="([^"]+)"', everyone))  # each pack's demo adds its own HP.* logins
    assert {"HP.officer", "HP.leader", "HP.grid"} <= in_hp and all(name.startswith("HP.") for name in in_hp)
    nonsense = admin.get("/admin/users?q=CGW&role=boss&active=perhaps&offset=-5")
    assert nonsense.status_code == 200  # nonsense is ignored: an unknown role filters nothing out
    assert {"CGW.head", "CGW.staff"} <= set(re.findall(r'data-user="([^"]+)"', nonsense.get_data(as_text=True)))


def test_an_admin_adds_a_user_with_a_seat_and_the_password_is_shown_once(pages: Pages, db: Database,
                                                                        cleanup: None) -> None:
    admin = pages.as_("admin")
    added = admin.post("/admin/new-user", {"username": "pg-li", "display_name": "李四", "password": "",
                                            "department": "CGW", "role": "dept_staff"})
    assert added.status_code == 200 and added.headers["Cache-Control"] == "no-store"
    password = _secret(added.get_data(as_text=True))
    with db.transaction(write=False) as session:
        assert accounts.check_password(session, "pg-li", password) is not None
    shown = admin.get("/admin/users/pg-li").get_data(as_text=True)
    assert "李四" in shown and 'data-seat="CGW:dept_staff"' in shown and password not in shown
    assert "已添加用户" in shown  # the history names the action in Chinese
    newcomer = pages.app.test_client()
    token = csrf_token_of(newcomer.get("/login").get_data(as_text=True))
    signed_in = newcomer.post("/login", data={"username": "pg-li", "password": password, "csrf_token": token,
                                              "next": ""})
    assert signed_in.status_code == 302


def test_the_add_form_keeps_what_was_typed_and_names_the_fault(pages: Pages, cleanup: None) -> None:
    admin = pages.as_("admin")
    misfit = admin.post("/admin/new-user", {"username": "pg-wang", "display_name": "王五", "password": "",
                                             "department": "HP", "role": "dept_staff"})
    assert misfit.status_code == 422
    html = misfit.get_data(as_text=True)
    assert "不能设在" in html and 'value="pg-wang"' in html
    assert admin.get("/admin/users/pg-wang").status_code == 404  # nothing half-made
    taken = admin.post("/admin/new-user", {"username": "HP.officer", "password": ""})
    assert taken.status_code == 409 and "已存在" in taken.get_data(as_text=True)
    bad = admin.post("/admin/new-user", {"username": "a b", "password": "short"})
    assert bad.status_code == 422


def test_seats_tokens_password_and_access_with_confirmations(pages: Pages, db: Database, cleanup: None) -> None:
    admin = pages.as_("admin")
    admin.post("/admin/new-user", {"username": "pg-zhao", "password": "chosen-password"})
    base = "/admin/users/pg-zhao"
    given = admin.post(f"{base}/seats", {"department": "HP", "role": "grid_worker"}, follow_redirects=True)
    assert "已设置岗位" in given.get_data(as_text=True)
    refused = admin.post(f"{base}/seats", {"department": "DCS", "role": "district_leader"}, follow_redirects=True)
    assert "区领导岗位不能设在" in refused.get_data(as_text=True)  # district_leader sits in leadership units only
    assert 'data-seat="DCS:district_leader"' not in refused.get_data(as_text=True)
    unconfirmed = admin.post(f"{base}/seats/remove", {"department": "HP", "role": "grid_worker"},
                             follow_redirects=True)
    assert "请勾选确认" in unconfirmed.get_data(as_text=True)
    assert 'data-seat="HP:grid_worker"' in admin.get(base).get_data(as_text=True)
    admin.post(f"{base}/seats/remove", {"department": "HP", "role": "grid_worker", "confirm": "yes"})
    assert 'data-seat="HP:grid_worker"' not in admin.get(base).get_data(as_text=True)
    issued = admin.post(f"{base}/tokens", {"label": "对接系统", "days": "30"})
    token = _secret(issued.get_data(as_text=True))
    with db.transaction(write=False) as session:
        assert accounts.user_for_token(session, token, now=_now(pages)) is not None
    token_id = re.search(r'data-token="(\d+)"', admin.get(base).get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    admin.post(f"{base}/tokens/{token_id}/revoke", {"confirm": "yes"})
    assert f'data-token="{token_id}"' not in admin.get(base).get_data(as_text=True)
    assert admin.post(f"{base}/password", {}).status_code == 302  # no confirmation: nothing happens
    with db.transaction(write=False) as session:
        assert accounts.check_password(session, "pg-zhao", "chosen-password") is not None
    reset = _secret(admin.post(f"{base}/password", {"confirm": "yes"}).get_data(as_text=True))
    with db.transaction(write=False) as session:
        assert accounts.check_password(session, "pg-zhao", reset) is not None
    revoked = admin.post(f"{base}/revoke", {"confirm": "yes"}, follow_redirects=True).get_data(as_text=True)
    assert "0 个令牌已撤销" in revoked
    deactivated = admin.post(f"{base}/active", {"active": "no", "confirm": "yes"}, follow_redirects=True)
    assert "已停用" in deactivated.get_data(as_text=True)
    with db.transaction(write=False) as session:
        assert not accounts.user_by_name(session, "pg-zhao").is_active
    admin.post(f"{base}/active", {"active": "yes"})
    with db.transaction(write=False) as session:
        assert accounts.user_by_name(session, "pg-zhao").is_active


def test_an_admin_cannot_lock_the_district_out(pages: Pages, db: Database) -> None:
    admin = pages.as_("admin")
    page = admin.get("/admin/users/admin").get_data(as_text=True)
    assert "不能停用自己" in page
    itself = admin.post("/admin/users/admin/active", {"active": "no", "confirm": "yes"}, follow_redirects=True)
    assert "不能停用自己" in itself.get_data(as_text=True)
    last = admin.post("/admin/users/admin/seats/remove", {"department": "SJJG", "role": "admin", "confirm": "yes"},
                      follow_redirects=True)
    assert "最后一个" in last.get_data(as_text=True)
    with db.transaction(write=False) as session:
        user = accounts.user_by_name(session, "admin")
        assert user.is_active and [m.role for m in user.memberships] == ["admin"]


def test_forms_need_the_csrf_token(pages: Pages) -> None:
    admin = pages.as_("admin")
    response = admin.client.post("/admin/users/HP.officer/revoke", data={"confirm": "yes"})
    assert response.status_code == 400


def _now(pages: Pages) -> datetime:
    return pages.app.extensions["whistle"].clock.now()
