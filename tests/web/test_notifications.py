"""The notifications panel: local times in the reader's language, mark all read, withdrawn cases' reminders."""
from __future__ import annotations

from datetime import UTC, datetime

from lxml import html as lxml_html
from sqlalchemy import select

from engine import accounts
from escalation.config import Escalation
from escalation.ladder import TEMPLATES
from escalation.models import Notification
from escalation.notify import Message
from escalation.policies import Action, ClockKind
from tests.support import Flow
from tests.web.conftest import Pages

DUE = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)  # 17:30 in Beijing


def remind(flow: Flow, esc: Escalation, username: str, case: int | None = None) -> None:
    """A reminder with a deadline, as a ladder rung writes it (the deadline stored in UTC)."""
    with flow.db.transaction() as session:
        user = accounts.user_by_name(session, username)
        params = {"task": "处置反馈", "case": "楼顶违建", "deadline": DUE.isoformat()}
        esc.notifier.send(session, [Message(user.id, "remind", TEMPLATES[(Action.REMIND, ClockKind.COMPLETE)],
                                            params, case)], flow.clock.now())


def texts(html: str) -> list[str]:
    """The text of every notification on the panel."""
    return [" ".join(n.text_content().split()) for n in lxml_html.fromstring(html).xpath("//*[@class='note-text']")]


def unread(flow: Flow, username: str) -> int:
    """How many unread notifications ``username`` has."""
    with flow.db.transaction(write=False) as session:
        user = accounts.user_by_name(session, username)
        return len(list(session.execute(select(Notification.id).where(
            Notification.user_id == user.id, Notification.read_at.is_(None))).scalars()))


def test_deadlines_in_notifications_read_in_beijing_time_in_both_languages(pages: Pages, flow: Flow,
                                                                            esc: Escalation) -> None:
    flow.deploy()
    remind(flow, esc, "CGW.staff")
    chinese = pages.as_("CGW.staff").get("/notifications").get_data(as_text=True)
    assert texts(chinese) == ["提醒：案件“楼顶违建”的“处置反馈”将于 2026-12-03 17:30 到期。"]
    english = pages.as_("CGW.staff", lang="en").get("/notifications").get_data(as_text=True)
    assert texts(english) == ["Reminder: 处置反馈 of case 楼顶违建 is due at 2026-12-03 17:30."]
    assert "T09:30" not in chinese and "T09:30" not in english


def test_mark_all_read_clears_only_ones_own_and_needs_the_csrf_token(pages: Pages, flow: Flow,
                                                                      esc: Escalation) -> None:
    flow.deploy()
    for _ in range(3):
        remind(flow, esc, "CGW.staff")
    remind(flow, esc, "CGW.head")
    staff = pages.as_("CGW.staff")
    panel = staff.get("/notifications").get_data(as_text=True)
    assert "全部标为已读" in panel and 'action="/notifications/read-all"' in panel
    assert staff.client.post("/notifications/read-all").status_code == 400  # no CSRF token
    assert unread(flow, "CGW.staff") == 3

    done = staff.post("/notifications/read-all")
    assert done.status_code == 302 and done.headers["Location"] == "/notifications"
    after = staff.get("/notifications").get_data(as_text=True)
    assert "已将 3 条通知标为已读。" in after and "全部标为已读" not in after
    assert unread(flow, "CGW.staff") == 0 and unread(flow, "CGW.head") == 1
    assert 'class="count"' not in staff.get("/notifications/count").get_data(as_text=True)


def test_a_withdrawn_cases_reminders_are_closed_with_it(pages: Pages, flow: Flow, esc: Escalation) -> None:
    case = flow.blow(departments=["CGW"])
    other = flow.blow(departments=["CGW"])
    remind(flow, esc, "CGW.dispatcher", case)
    remind(flow, esc, "CGW.dispatcher", other)
    pages.as_("HP.officer").post(f"/cases/{case}/withdraw", {"reason": "误吹哨：问题已由社区自行解决"})

    with flow.db.transaction(write=False) as session:
        user = accounts.user_by_name(session, "CGW.dispatcher")
        rows = session.execute(select(Notification.instance_id, Notification.kind, Notification.read_at)
                               .where(Notification.user_id == user.id).order_by(Notification.id)).all()
    state = [(instance_id == case, kind, read_at is None) for instance_id, kind, read_at in rows]
    # The withdrawn case's reminder is closed; the withdrawal notice and the other case's reminder stay unread.
    assert state == [(True, "remind", False), (False, "remind", True), (True, "withdrawn", True)]
