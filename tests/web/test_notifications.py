"""The notifications panel: local times in the reader's language, mark all read, withdrawn cases' reminders."""
from __future__ import annotations

from datetime import UTC, datetime

from lxml import html as lxml_html
from sqlalchemy import select

from engine import accounts
from escalation.config import Escalation
from escalation.ladder import TEMPLATES
from escalation.models import ExtensionRequest, ExtensionStatus, Notification
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
    withdrawn = pages.as_("HP.officer").post(f"/cases/{case}/withdraw", {"reason": "误吹哨：问题已由社区自行解决",
                                                                         "confirm": "yes"})
    assert withdrawn.status_code == 302

    with flow.db.transaction(write=False) as session:
        user = accounts.user_by_name(session, "CGW.dispatcher")
        rows = session.execute(select(Notification.instance_id, Notification.kind, Notification.read_at)
                               .where(Notification.user_id == user.id).order_by(Notification.id)).all()
    state = [(instance_id == case, kind, read_at is None) for instance_id, kind, read_at in rows]
    # The withdrawn case's reminder is closed; the withdrawal notice and the other case's reminder stay unread.
    assert state == [(True, "remind", False), (False, "remind", True), (True, "withdrawn", True)]


def test_an_answered_extension_names_the_case_the_new_deadline_and_the_heads_note(pages: Pages, flow: Flow,
                                                                                  esc: Escalation) -> None:
    flow.deploy_policy()  # the deadlines an extension moves
    case = flow.blow(departments=["CGW"])
    title = flow.instance(case).title
    flow.complete(flow.task(case, "Task_sign", "CGW").id, {}, as_="CGW.dispatcher")
    flow.complete(flow.task(case, "Task_report_in", "CGW").id, {"on_site_staff": "两人"}, as_="CGW.staff")
    handle = flow.task(case, "Task_handle", "CGW")
    staff = pages.as_("CGW.staff")
    for extension in ("2wd", "1wd"):
        asked = staff.post(f"/tasks/{handle.id}/extensions", {"clock": "complete", "extension": extension,
                                                              "reason": "需协调产权单位"})
        assert asked.status_code == 302
        with flow.db.transaction(write=False) as session:
            request_id = session.execute(select(ExtensionRequest.id).where(
                ExtensionRequest.status == ExtensionStatus.PENDING)).scalar_one()
        decision = "approve" if extension == "2wd" else "reject"
        decided = pages.as_("CGW.head").post(f"/tasks/extensions/{request_id}/{decision}",
                                             {"note": "同意，请本周内办结" if extension == "2wd" else ""})
        assert decided.status_code == 302
    head = flow.actor("CGW.head").display_name
    # 7wd from the whistle: 2026-10-13 17:30; two more working days: 2026-10-15 17:30 (Beijing time).
    assert texts(staff.get("/notifications").get_data(as_text=True)) == [
        f"你对案件“{title}”中“处置反馈”延期 1个工作日 的申请未获{head}批准。",
        f"你对案件“{title}”中“处置反馈”延期 2个工作日 的申请已由{head}批准，新期限为 2026-10-15 17:30。"
        "批示：同意，请本周内办结",
    ]
