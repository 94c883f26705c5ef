"""The user administration API: users, seats, passwords, tokens and sessions, for administrators only."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete

from engine import accounts
from engine.database import Database
from engine.models import User
from tests.conftest import empty_case_tables
from tests.web.conftest import Api


@pytest.fixture
def cleanup(db: Database) -> Iterator[None]:
    """Users whose login starts with ``api-`` are removed after the test."""
    yield
    empty_case_tables(db)
    with db.transaction() as session:
        session.execute(delete(User).where(User.username.like("api-%")))


def test_an_admin_adds_a_user_who_then_works_with_a_token(api: Api, cleanup: None) -> None:
    made = api.call("admin", "POST", "/users", {"username": "api-chen", "display_name": "陈八",
                                                "seats": [{"department": "CGW", "role": "dept_staff"}]})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["username"] == "api-chen" and len(body["password"]) == 14
    assert body["seats"] == [{"department": "CGW", "department_name": "区城市管理委员会", "kind": "department",
                              "role": "dept_staff", "role_label": "部门处置人员"}]
    with api.db.transaction(write=False) as session:
        assert accounts.check_password(session, "api-chen", body["password"]) is not None
    issued = api.call("admin", "POST", "/users/api-chen/tokens", {"label": "对接", "days": 7})
    assert issued.status_code == 201 and issued.get_json()["token"].startswith("wst_")
    me = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {issued.get_json()['token']}"})
    assert me.status_code == 200 and me.get_json()["username"] == "api-chen"
    tokens = api.call("admin", "GET", "/users/api-chen/tokens").get_json()["items"]
    assert [t["label"] for t in tokens] == ["对接"] and "token" not in tokens[0]
    detail = api.call("admin", "GET", "/users/api-chen").get_json()
    assert [h["action"] for h in detail["history"]] == ["token_issued", "seat_added", "user_created"]
    assert detail["history"][0]["actor"] == "admin"
    listed = api.call("admin", "GET", "/users?q=api-&department=CGW&role=dept_staff&active=true").get_json()
    assert [u["username"] for u in listed["items"]] == ["api-chen"] and listed["total"] == 1


def test_seats_password_tokens_and_revocation(api: Api, cleanup: None) -> None:
    assert api.call("admin", "POST", "/users", {"username": "api-sun", "password": "chosen-password"}
                    ).get_json()["password"] is None
    seat = {"department": "HP", "role": "grid_worker"}
    assert api.call("admin", "POST", "/users/api-sun/seats", seat).status_code == 201
    again = api.call("admin", "POST", "/users/api-sun/seats", seat)
    assert again.status_code == 409
    misfit = api.call("admin", "POST", "/users/api-sun/seats", {"department": "HP", "role": "dept_head"})
    assert misfit.status_code == 422 and misfit.get_json()["errors"][0]["field"] == "role"
    unknown_unit = api.call("admin", "POST", "/users/api-sun/seats", {"department": "NOPE", "role": "dept_head"})
    assert unknown_unit.status_code == 422
    unknown_role = api.call("admin", "POST", "/users/api-sun/seats", {"department": "HP", "role": "boss"})
    assert unknown_role.status_code == 422  # the schema's enum
    taken = api.client.open("/api/v1/users/api-sun/seats", method="DELETE", json=seat,
                            headers={"Authorization": f"Bearer {api.token('admin')}"})
    assert taken.status_code == 200 and taken.get_json()["seats"] == []
    token = api.call("admin", "POST", "/users/api-sun/tokens").get_json()  # no body: the defaults
    assert token["label"] == "api" and token["expires_at"] is not None
    reset = api.call("admin", "POST", "/users/api-sun/password").get_json()
    with api.db.transaction(write=False) as session:
        assert accounts.check_password(session, "api-sun", reset["password"]) is not None
        assert accounts.check_password(session, "api-sun", "chosen-password") is None
    assert api.call("admin", "DELETE", f"/users/api-sun/tokens/{token['id']}").status_code == 204
    assert api.call("admin", "DELETE", f"/users/api-sun/tokens/{token['id']}").status_code == 404
    api.call("admin", "POST", "/users/api-sun/tokens", {"label": "b"})
    assert api.call("admin", "POST", "/users/api-sun/revoke").get_json() == {"tokens": 1, "sessions_ended": 0}


def test_patch_renames_and_deactivates_but_not_oneself(api: Api, cleanup: None) -> None:
    api.call("admin", "POST", "/users", {"username": "api-zhou"})
    token = api.call("admin", "POST", "/users/api-zhou/tokens").get_json()["token"]
    changed = api.call("admin", "PATCH", "/users/api-zhou", {"display_name": "周九", "active": False})
    assert changed.status_code == 200 and changed.get_json()["display_name"] == "周九"
    assert changed.get_json()["active"] is False
    assert api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert api.call("admin", "PATCH", "/users/api-zhou", {"active": True}).get_json()["active"] is True
    myself = api.call("admin", "PATCH", "/users/admin", {"active": False})
    assert myself.status_code == 409
    last = api.client.open("/api/v1/users/admin/seats", method="DELETE", json={"department": "SJJG", "role": "admin"},
                           headers={"Authorization": f"Bearer {api.token('admin')}"})
    assert last.status_code == 409
    assert api.call("admin", "PATCH", "/users/api-zhou", {}).status_code == 422  # nothing to change
    assert api.call("admin", "PATCH", "/users/api-zhou", {"display_name": "x\ny"}).status_code == 422


def test_only_admins_and_only_known_users(api: Api) -> None:
    for method, path in [("GET", "/users"), ("GET", "/users/admin"), ("POST", "/users/nobody/password"),
                         ("GET", "/users/nobody/tokens"), ("POST", "/users/HP.officer/revoke")]:
        response = api.call("HP.officer", method, path)
        assert response.status_code == 403, (method, path, response.status_code)
    assert api.call("admin", "GET", "/users/nobody").status_code == 404
    assert api.call("admin", "POST", "/users/nobody/password").status_code == 404
    assert api.call("admin", "GET", "/users/" + "x" * 65).status_code == 404  # no user can have that name
    assert api.call("admin", "GET", "/users/a%20b").status_code == 404
    assert api.call("admin", "GET", "/users?role=boss").status_code == 400
    assert api.call("admin", "GET", "/users?active=maybe").status_code == 400
    assert api.call("admin", "POST", "/users", {"username": "HP.officer"}).status_code == 409
    assert api.call("admin", "POST", "/users", {"username": "x"}).status_code == 422
    assert api.call(None, "GET", "/users").status_code == 401
