"""User administration in the engine: every action, its audit row, and the refusals that keep the district safe."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete, select

from engine import accounts, user_admin, user_listing, user_sessions
from engine.actors import Actor, actor_of
from engine.database import Database
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.models import TaskEvent, User, UserSession
from engine.user_admin import CONSOLE, Action
from engine.user_sessions import SessionPolicy
from tests.conftest import empty_case_tables
from tests.support import FakeClock

PREFIX = "ua-"


@pytest.fixture
def cleanup(db: Database) -> Iterator[None]:
    """Users whose login starts with ``ua-`` are removed after the test (the demo district stays as it was)."""
    yield
    empty_case_tables(db)
    with db.transaction() as session:
        session.execute(delete(User).where(User.username.like(f"{PREFIX}%")))


def _actor(db: Database, username: str) -> Actor:
    with db.transaction(write=False) as session:
        return actor_of(accounts.user_by_name(session, username))


def _events(db: Database, username: str) -> list[tuple[str, int | None, dict]]:
    with db.transaction(write=False) as session:
        rows = session.execute(select(TaskEvent).where(TaskEvent.instance_id.is_(None)).order_by(TaskEvent.id))
        return [(e.action, e.actor_id, e.payload) for e in rows.scalars() if e.payload.get("user") == username]


def test_an_admin_adds_a_user_with_a_generated_password_and_a_seat(db: Database, clock: FakeClock,
                                                                   cleanup: None) -> None:
    admin = _actor(db, "admin")
    with db.transaction() as session:
        made = user_admin.add_user(session, admin, "ua-li", " 李四 ", seats=[("CGW", "dept_staff")], now=clock.now())
    assert made.password is not None and len(made.password) == 14
    with db.transaction(write=False) as session:
        assert accounts.check_password(session, "ua-li", made.password) is not None
        user = accounts.user_by_name(session, "ua-li")
        assert user.display_name == "李四"
        assert [(m.department.code, m.role) for m in user.memberships] == [("CGW", "dept_staff")]
    events = _events(db, "ua-li")
    assert [e[0] for e in events] == [Action.USER_CREATED, Action.SEAT_ADDED]
    assert all(actor == admin.user_id for _, actor, _ in events)
    assert events[1][2]["department"] == "CGW" and events[1][2]["role"] == "dept_staff"
    assert made.password not in str(events)  # the password is shown once, never stored in the clear


def test_only_admins_may_administer(db: Database, clock: FakeClock) -> None:
    officer = _actor(db, "HP.officer")
    with db.transaction() as session:
        with pytest.raises(Forbidden):
            user_listing.list_users(session, officer, now=clock.now())
        with pytest.raises(Forbidden):  # before the lookup: a non-admin learns nothing about who exists
            user_admin.reset_password(session, officer, "nobody", now=clock.now())


def test_seats_must_fit_the_unit_and_name_known_roles_and_units(db: Database, clock: FakeClock,
                                                                cleanup: None) -> None:
    admin = _actor(db, "admin")
    with db.transaction() as session:
        user_admin.add_user(session, admin, "ua-wang", "王五", now=clock.now())
    refusals = [("CGW", "street_officer", "cannot sit in"),  # a street role in a district department
                ("HP", "dept_staff", "cannot sit in"),  # a department role in a street
                ("DCS", "district_leader", "cannot sit in"),  # a leadership role in the supervision office
                ("CGW", "boss", "Unknown role"), ("NOPE", "dept_staff", "does not exist")]
    for code, role, words in refusals:
        with db.transaction() as session, pytest.raises(InvalidInput) as refused:
            user_admin.add_seat(session, admin, "ua-wang", code, role, now=clock.now())
        assert words in refused.value.message, (code, role, refused.value.message)
    with db.transaction() as session:
        user_admin.add_seat(session, admin, "ua-wang", "JHH", "street_officer", now=clock.now())  # a town: fits
        user_admin.add_seat(session, admin, "ua-wang", "DCS", "supervisor", now=clock.now())
        with pytest.raises(Conflict):
            user_admin.add_seat(session, admin, "ua-wang", "DCS", "supervisor", now=clock.now())
    with db.transaction() as session:
        user_admin.remove_seat(session, admin, "ua-wang", "DCS", "supervisor", now=clock.now())
        with pytest.raises(NotFound):
            user_admin.remove_seat(session, admin, "ua-wang", "DCS", "supervisor", now=clock.now())
    with db.transaction(write=False) as session:
        user = accounts.user_by_name(session, "ua-wang")
        assert [(m.department.code, m.role) for m in user.memberships] == [("JHH", "street_officer")]
    assert [e[0] for e in _events(db, "ua-wang")] == [Action.USER_CREATED, Action.SEAT_ADDED, Action.SEAT_ADDED,
                                                      Action.SEAT_REMOVED]


def test_bad_names_are_refused(db: Database, clock: FakeClock, cleanup: None) -> None:
    admin = _actor(db, "admin")
    for username, display, password in [("a", "x", None), ("ua-" + "x" * 70, "x", None), ("ua-ok", "名\n字", None),
                                        ("ua-ok", "长" * 101, None), ("ua-ok", "x", "short"),
                                        ("ua-ok", "x", "p" * 201), ("ua 空格", "x", None)]:
        with db.transaction() as session, pytest.raises(InvalidInput):
            user_admin.add_user(session, admin, username, display, password=password, now=clock.now())
    with db.transaction() as session, pytest.raises(Conflict):
        user_admin.add_user(session, admin, "HP.officer", "重名", now=clock.now())


def test_deactivation_ends_sessions_and_refuses_tokens_until_activated(db: Database, clock: FakeClock,
                                                                      cleanup: None) -> None:
    admin, policy = _actor(db, "admin"), SessionPolicy()
    with db.transaction() as session:
        made = user_admin.add_user(session, admin, "ua-zhao", "赵六", seats=[("HP", "grid_worker")], now=clock.now())
        cookie = user_sessions.open_session(session, made.user, now=clock.now(), policy=policy)
        token = user_admin.issue_token(session, admin, "ua-zhao", label="手机", days=30, now=clock.now())
    with db.transaction() as session:
        assert user_admin.set_active(session, admin, "ua-zhao", False, now=clock.now()) == 1
    with db.transaction(write=False) as session:
        assert user_sessions.resume(session, cookie, now=clock.now(), policy=policy) == user_sessions.Ended.REVOKED
        assert accounts.user_for_token(session, token.token, now=clock.now()) is None
        page = user_listing.list_users(session, admin, text="ua-zhao", active=False, now=clock.now())
        assert [u.username for u in page.items] == ["ua-zhao"] and page.total == 1
    with db.transaction() as session:
        user_admin.set_active(session, admin, "ua-zhao", True, now=clock.now())
    with db.transaction(write=False) as session:
        assert accounts.user_for_token(session, token.token, now=clock.now()) is not None
    assert [e[0] for e in _events(db, "ua-zhao")][-3:] == [Action.TOKEN_ISSUED, Action.USER_DEACTIVATED,
                                                           Action.USER_ACTIVATED]


def test_an_admin_cannot_deactivate_themself_nor_remove_the_last_admin_seat(db: Database, clock: FakeClock,
                                                                             cleanup: None) -> None:
    admin = _actor(db, "admin")
    with db.transaction() as session, pytest.raises(Conflict, match="yourself"):
        user_admin.set_active(session, admin, "admin", False, now=clock.now())
    with db.transaction() as session, pytest.raises(Conflict, match="last active administrator"):
        user_admin.remove_seat(session, admin, "admin", "SJJG", "admin", now=clock.now())
    # A second admin may go; then the first one is the last again, for the console too.
    with db.transaction() as session:
        user_admin.add_user(session, admin, "ua-boss", "第二管理员", seats=[("SJJG", "admin")], now=clock.now())
    with db.transaction() as session:
        user_admin.set_active(session, CONSOLE, "ua-boss", False, now=clock.now())
    with db.transaction() as session, pytest.raises(Conflict, match="last active administrator"):
        user_admin.set_active(session, CONSOLE, "admin", False, now=clock.now())
    with db.transaction() as session:  # an inactive admin's seat may be taken: it keeps nobody in
        user_admin.remove_seat(session, admin, "ua-boss", "SJJG", "admin", now=clock.now())
    with db.transaction(write=False) as session:
        assert accounts.user_by_name(session, "admin").is_active
    console_rows = [e for e in _events(db, "ua-boss") if e[0] == Action.USER_DEACTIVATED]
    assert console_rows[0][1] is None and console_rows[0][2]["via"] == "console"


def test_password_reset_tokens_and_revocation(db: Database, clock: FakeClock, cleanup: None) -> None:
    admin, policy = _actor(db, "admin"), SessionPolicy()
    with db.transaction() as session:
        made = user_admin.add_user(session, admin, "ua-qian", "钱七", password="first-password", now=clock.now())
        user_sessions.open_session(session, made.user, now=clock.now(), policy=policy)
        first = user_admin.issue_token(session, admin, "ua-qian", label="对接", days=None, now=clock.now())
        second = user_admin.issue_token(session, admin, "ua-qian", label="备用", days=1, now=clock.now())
    assert made.password is None  # chosen, not generated: nothing to show
    with db.transaction() as session:
        detail = user_listing.user_detail(session, admin, "ua-qian", now=clock.now())
        assert detail.user.live_sessions == 1 and detail.user.tokens == 2
        assert [t.label for t in detail.tokens] == ["备用", "对接"]  # newest first
        generated, ended = user_admin.reset_password(session, admin, "ua-qian", now=clock.now())
    assert generated and ended == 1
    with db.transaction() as session:
        assert accounts.check_password(session, "ua-qian", generated) is not None
        assert accounts.check_password(session, "ua-qian", "first-password") is None
        user_admin.revoke_token(session, admin, "ua-qian", first.id, now=clock.now())
        with pytest.raises(NotFound):
            user_admin.revoke_token(session, admin, "ua-qian", first.id, now=clock.now())
        with pytest.raises(NotFound):  # another user's token id names nothing here
            user_admin.revoke_token(session, admin, "HP.officer", second.id, now=clock.now())
        assert accounts.user_for_token(session, first.token, now=clock.now()) is None
        assert accounts.user_for_token(session, second.token, now=clock.now()) is not None
        user_sessions.open_session(session, made.user, now=clock.now(), policy=policy)
    with db.transaction() as session:
        assert user_admin.revoke_access(session, admin, "ua-qian", now=clock.now()) == (1, 1)
        assert session.execute(select(UserSession).where(UserSession.user_id == made.user.id,
                                                         UserSession.revoked_at.is_(None))).first() is None
        with pytest.raises(InvalidInput):
            user_admin.issue_token(session, admin, "ua-qian", label="x", days=0, now=clock.now())
        history = user_listing.user_detail(session, admin, "ua-qian", now=clock.now()).history
    assert [h.action for h in history][:4] == [Action.ACCESS_REVOKED, Action.TOKEN_REVOKED, Action.PASSWORD_RESET,
                                               Action.TOKEN_ISSUED]
    assert history[0].actor == "admin"


def test_the_list_filters_by_text_unit_role_and_state_and_pages(db: Database, clock: FakeClock,
                                                                cleanup: None) -> None:
    admin = _actor(db, "admin")
    with db.transaction() as session:
        for n in range(3):
            user_admin.add_user(session, admin, f"ua-page{n}", f"分页{n}", seats=[("ZJW", "dept_staff")],
                                now=clock.now())
        everyone = user_listing.list_users(session, admin, limit=200, now=clock.now())
        assert len(everyone.items) == min(everyone.total, 200) and everyone.total > 40
        staff = user_listing.list_users(session, admin, department="ZJW", role="dept_staff", now=clock.now())
        # A set: where capitals sort against small letters depends on the database collation.
        assert {u.username for u in staff.items} == {"ZJW.staff", "ua-page0", "ua-page1", "ua-page2"}
        first = user_listing.list_users(session, admin, text="UA-PAGE", limit=2, now=clock.now())
        assert [u.username for u in first.items] == ["ua-page0", "ua-page1"] and first.next_offset == 2
        rest = user_listing.list_users(session, admin, text="分页", limit=2, offset=2, now=clock.now())
        assert [u.username for u in rest.items] == ["ua-page2"] and rest.next_offset is None
        assert user_listing.list_users(session, admin, text="%", now=clock.now()).total == 0  # LIKE signs are text
        assert user_listing.list_users(session, admin, text="ua-page", active=False, now=clock.now()).total == 0
