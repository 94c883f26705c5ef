"""Four overdue 签收 tasks are four on every page: board, its CSV, each chart, the scoreboard, the head's inbox."""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import datetime

from sqlalchemy import select

from engine.models import User
from escalation.config import Escalation
from escalation.models import Notification
from tests.support import SHANGHAI, Flow
from tests.web.conftest import Pages

TASKS = 4


def rows_of(body: bytes) -> list[list[str]]:
    """The rows of a CSV download."""
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_four_late_signing_tasks_are_four_everywhere(pages: Pages, flow: Flow, esc: Escalation) -> None:
    flow.deploy_policy()
    for n in range(1, TASKS + 1):  # four places, four cases (Monday 2026-09-28 09:00, signing due 11:00)
        flow.blow(departments=["CGW"], address=f"和平里七区 {n} 号楼楼顶")
    flow.clock.set(datetime(2026, 9, 29, 17, 30, tzinfo=SHANGHAI))  # +1wd: levels 1-4
    flow.sweep(esc)
    supervisor = pages.as_("DCS.supervisor")
    board = supervisor.get("/supervise").get_data(as_text=True)
    assert len(re.findall(r'<tr class="overdue-row[^"]*" data-task="\d+"', board)) == TASKS
    exported = rows_of(supervisor.get("/supervise?format=csv").get_data())
    assert len(exported) - 1 == TASKS
    departments = supervisor.get("/supervise/charts/departments.json").get_json()["items"]
    assert [(d["code"], d["value"]) for d in departments] == [("CGW", TASKS)]
    levels = supervisor.get("/supervise/charts/levels.json").get_json()["items"]
    assert [(lv["level"], lv["value"]) for lv in levels] == [(4, TASKS)]
    trend = supervisor.get("/supervise/charts/trend.json").get_json()["items"]
    assert trend[-1]["value"] == TASKS
    scores = rows_of(supervisor.get("/supervise/departments?format=csv").get_data())
    overdue = scores[0].index("已超时")
    assert next(r for r in scores if r[0] == "CGW")[overdue] == str(TASKS)
    # The head hears of each task once per rung that reaches the head: notify, 督办, 催办.
    with flow.db.transaction(write=False) as session:
        head = session.execute(select(User.id).where(User.username == "CGW.head")).scalar_one()
        kinds = Counter(session.execute(select(Notification.kind).where(Notification.user_id == head)).scalars())
    assert kinds == Counter({"notify": TASKS, "overdue_duban": TASKS, "cuiban_notice": TASKS})
