"""Isolation: outsiders (another department, another street) see none of a case they take no part in.

The world is never empty: case A (和平街道 summons 城管委 and 住建委) has tasks, an attachment,
fired rungs, notifications, an overdue board and a pending extension; the outsiders have a case
of their own (新华街道 summons 水务局), so a list that shows them something is not empty by
accident. Every list, search, board and page an outsider can open must show their own case and
nothing of case A; every read of case A's things is a 404; every refused write leaves case A,
its tasks, events, clocks and notifications exactly as they were.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from engine.database import Database
from engine.models import Attachment, HumanTask, ProcessInstance, TaskEvent
from escalation import extensions
from escalation.config import Escalation
from escalation.models import EscalationRecord, ExtensionRequest, Notification, TaskDeadline
from tests.support import SHANGHAI, WHISTLE_ANSWERS, WHISTLE_DATA, Flow
from tests.web.conftest import Api, Pages
from tests.web.test_pages_street import png

MARK = "隔离甲案"  # in case A's description, so in its title: no page of an outsider may carry it
OWN_MARK = "新华自有案"
# Another department (never summoned to case A) and another street, each with a case of its own.
OUTSIDERS = ["SWJ.staff", "SWJ.dispatcher", "SWJ.head", "XH.officer", "XH.leader"]
# Who takes part in case A, to show each surface is not empty for those who may see it.
INSIDERS = ["HP.officer", "CGW.head", "CGW.dispatcher", "DCS.supervisor"]


@dataclass(frozen=True)
class World:
    """Case A's ids, and the outsiders' own case."""

    case: int
    tasks: frozenset[int]
    attachments: frozenset[int]
    notifications: frozenset[int]
    escalations: frozenset[int]
    extensions: frozenset[int]
    own_case: int
    own_tasks: frozenset[int]

    def leaks(self, found: dict[str, set[int]]) -> dict[str, set[int]]:
        """Which of case A's ids a set of found ids (by kind) contains."""
        mine = {"instance": {self.case}, "task": set(self.tasks), "notification": set(self.notifications),
                "escalation": set(self.escalations), "extension": set(self.extensions),
                "attachment": set(self.attachments)}
        return {kind: ids & mine[kind] for kind, ids in found.items() if ids & mine[kind]}


@pytest.fixture
def world(pages: Pages, flow: Flow, esc: Escalation) -> World:
    """Case A by 和平街道 with everything a case grows, and 新华街道's own case summoning 水务局."""
    flow.deploy()
    flow.deploy_policy()
    form = {**WHISTLE_DATA, "description": f"{MARK}：楼顶违建，需多部门联合处置。", "departments": ["CGW", "ZJW"]}
    posted = pages.as_("HP.officer").post("/whistles/new", data={**form, "attachments": (io.BytesIO(png()),
                                                                                          "现场.png")})
    assert posted.status_code == 302, posted.get_data(as_text=True)[:2000]
    case = int(re.search(r"/whistles/(\d+)$", posted.headers["Location"]).group(1))  # type: ignore[union-attr]
    flow.complete(flow.task(case, "Task_sign", "CGW").id, WHISTLE_ANSWERS["Task_sign"], as_="CGW.dispatcher")
    report_in = flow.task(case, "Task_report_in", "CGW")
    flow.claim(report_in.id, as_="CGW.staff")
    with flow.db.transaction() as session:
        extensions.request(session, esc, flow.actor("CGW.staff"), report_in.id, clock="complete", extension="1wd",
                           reason="需协调产权单位", now=flow.clock.now())
    own = flow.start("whistle", {**WHISTLE_DATA, "street": "XH", "community": "新华里社区",
                                 "description": f"{OWN_MARK}：管道爆裂。", "departments": ["SWJ"]}, as_="XH.officer")
    # A day and a half later every signing clock is past its deadline: rungs fire, both cases are overdue.
    flow.clock.set(datetime(2026, 9, 29, 16, 0, tzinfo=SHANGHAI))
    report = flow.sweep(esc)
    assert report.failed == 0 and report.deadlines > 0
    with flow.db.transaction(write=False) as session:
        def ids(model: Any, instance: int) -> frozenset[int]:
            return frozenset(session.execute(select(model.id).where(model.instance_id == instance)).scalars())

        found = World(case, ids(HumanTask, case), ids(Attachment, case), ids(Notification, case),
                      ids(EscalationRecord, case), ids(ExtensionRequest, case), own, ids(HumanTask, own))
    # Not an empty world: case A has every kind of thing an outsider could be shown.
    assert all((found.tasks, found.attachments, found.notifications, found.escalations, found.extensions))
    return found


def collected(body: Any, item: str | None) -> dict[str, set[int]]:
    """Ids in a JSON answer by kind: the items' own ids (of kind ``item``) and every instance_id/task_id."""
    found: dict[str, set[int]] = {"instance": set(), "task": set()}

    def walk(node: Any, top: bool) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("instance_id", "task_id") and isinstance(value, int):
                    found[key.removesuffix("_id")].add(value)
                walk(value, False)
        elif isinstance(node, list):
            for entry in node:
                if top and item and isinstance(entry, dict) and isinstance(entry.get("id"), int):
                    found.setdefault(item, set()).add(entry["id"])
                walk(entry, False)

    walk(body.get("items", body) if isinstance(body, dict) else body, True)
    return found


# (path, kind of the items' "id"); every list and search of the API.
API_LISTS = [
    ("/instances?limit=200", "instance"), ("/instances?status=running&limit=200", "instance"),
    ("/tasks?scope=department&status=open&limit=200", "task"), ("/tasks?scope=mine&status=claimed&limit=200", "task"),
    ("/tasks?scope=mine&status=completed&limit=200", "task"), ("/notifications?limit=200", "notification"),
    ("/escalations?limit=200", "escalation"), ("/overdue?limit=200", None), ("/extensions", "extension"),
]


def test_api_lists_show_an_outsider_their_own_case_and_nothing_of_case_a(api: Api, world: World) -> None:
    seen_own: set[str] = set()
    for user in OUTSIDERS:
        for path, item in API_LISTS:
            response = api.call(user, "GET", path)
            assert response.status_code == 200, (user, path, response.get_json())
            body = response.get_json()
            found = collected(body, item)
            assert world.leaks(found) == {}, f"{user} sees case A in {path}"
            assert MARK not in json.dumps(body, ensure_ascii=False), f"{user} sees case A's title in {path}"
            if world.own_case in found["instance"]:
                seen_own.add(path)
        # The outsiders' own case is there: the filter lets their world through and only theirs.
        listed = collected(api.call(user, "GET", "/instances?limit=200").get_json(), "instance")["instance"]
        assert listed == {world.own_case}, (user, listed)
        assert api.call(user, "GET", f"/escalations?instance={world.case}").get_json()["items"] == []
    assert seen_own  # the checks above did look at non-empty lists


def test_the_world_is_not_empty_for_those_who_take_part(api: Api, world: World) -> None:
    """The same lists do show case A to its street, its departments and district supervision."""
    assert world.case in collected(api.call("HP.officer", "GET", "/instances").get_json(), "instance")["instance"]
    assert world.case in collected(api.call("CGW.head", "GET", "/instances").get_json(), "instance")["instance"]
    assert collected(api.call("CGW.head", "GET", "/extensions").get_json(), "extension")["extension"] == \
        set(world.extensions)
    assert collected(api.call("CGW.head", "GET", "/notifications").get_json(), "notification")["notification"] & \
        set(world.notifications)
    board = collected(api.call("DCS.supervisor", "GET", "/overdue?limit=200").get_json(), None)
    assert world.case in board["instance"] and world.own_case in board["instance"]
    history = collected(api.call("DCS.supervisor", "GET", "/escalations?limit=200").get_json(), "escalation")
    assert history["escalation"] >= set(world.escalations)


def test_api_reads_of_case_a_are_404_for_an_outsider(api: Api, world: World) -> None:
    task = min(world.tasks)
    for user in OUTSIDERS:
        for path in (f"/instances/{world.case}", f"/tasks/{task}", f"/tasks/{task}/deadlines",
                     "/departments/CGW/stats"):
            response = api.call(user, "GET", path)
            assert response.status_code == 404, (user, path, response.status_code)
            assert MARK not in response.get_data(as_text=True)


# Pages an outsider may open (by role), each checked for case A's title and links to its case and tasks.
PAGES = {
    "SWJ.staff": ["/tasks", "/tasks?tab=department", "/tasks?tab=done", "/tasks?tab=department&q=楼顶违建",
                  "/tasks?tab=department&due=overdue", "/notifications"],
    "SWJ.dispatcher": ["/tasks?tab=department", "/tasks?tab=department&q=楼顶违建", "/notifications"],
    "SWJ.head": ["/tasks?tab=department", "/tasks/extensions", "/notifications", "/supervise",
                 "/supervise?street=HP", "/supervise?format=csv", "/supervise/departments",
                 "/supervise/departments?format=csv", "/supervise/departments/SWJ",
                 "/supervise/charts/departments.json", "/supervise/charts/levels.json",
                 "/supervise/charts/trend.json"],
    "XH.officer": ["/whistles", "/tasks?tab=department", "/notifications"],
    "XH.leader": ["/whistles", "/notifications"],
}


def test_pages_show_an_outsider_nothing_of_case_a(pages: Pages, world: World) -> None:
    links = re.compile(rf'/(?:cases|whistles)/{world.case}\b|data-whistle="{world.case}"|' +
                       "|".join(rf"/tasks/{t}\b" for t in sorted(world.tasks)))
    own_shown = 0
    for user, paths in PAGES.items():
        client = pages.as_(user)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (user, path, response.status_code)
            body = response.get_data(as_text=True)
            assert MARK not in body, f"{user} sees case A's title on {path}"
            assert not links.search(body), f"{user} is shown a link into case A on {path}: {links.search(body)}"
            # Charts name departments: none of case A's may appear for a head of another department.
            if path.endswith(".json"):
                assert not {"CGW", "ZJW"} & set(re.findall(r"\b[A-Z]{2,5}\b", body)), (user, path, body)
            own_shown += OWN_MARK in body
    assert own_shown  # the outsiders' own case does show: these pages are not empty by accident


def test_page_reads_of_case_a_are_404_for_an_outsider(pages: Pages, world: World) -> None:
    task, attachment = min(world.tasks), min(world.attachments)
    for user in OUTSIDERS:
        client = pages.as_(user)
        for path in (f"/cases/{world.case}", f"/cases/{world.case}/diagram", f"/tasks/{task}",
                     f"/attachments/{attachment}"):
            response = client.get(path)
            assert response.status_code == 404, (user, path, response.status_code)
            assert MARK not in response.get_data(as_text=True)
    for user in ("XH.officer", "XH.leader"):
        assert pages.as_(user).get(f"/whistles/{world.case}").status_code == 404
    assert pages.as_("SWJ.head").get("/supervise/departments/CGW").status_code == 404


def snapshot(db: Database) -> dict[str, Any]:
    """Everything a refused write could have changed, as plain values."""
    with db.transaction(write=False) as session:
        def rows(*columns: Any) -> list[tuple[Any, ...]]:
            return [tuple(r) for r in session.execute(select(*columns).order_by(columns[0]))]

        return {
            "instances": [(i, s, r, hashlib.sha256(state.encode()).hexdigest(), u, d) for i, s, r, state, u, d in
                          rows(ProcessInstance.id, ProcessInstance.status, ProcessInstance.revision,
                               ProcessInstance.state, ProcessInstance.updated_at, ProcessInstance.case_data)],
            "tasks": rows(HumanTask.id, HumanTask.status, HumanTask.assignee_id, HumanTask.role,
                          HumanTask.claimed_at, HumanTask.completed_at, HumanTask.completed_by_id),
            "events": rows(TaskEvent.id, TaskEvent.action),
            "notifications": rows(Notification.id, Notification.user_id, Notification.read_at),
            "clocks": rows(TaskDeadline.id, TaskDeadline.due_at, TaskDeadline.deadline_at, TaskDeadline.fired_at,
                           TaskDeadline.stopped_at),
            "extensions": rows(ExtensionRequest.id, ExtensionRequest.status, ExtensionRequest.decided_at),
            "attachments": rows(Attachment.id, Attachment.instance_id),
        }


def assert_unchanged(before: dict[str, Any], db: Database) -> None:
    """The database holds exactly what ``before`` recorded."""
    after = snapshot(db)
    assert {k: v for k, v in after.items() if v != before[k]} == {}, "a refused write changed something"


def _api_writes(world: World, task: int, open_task: int) -> list[tuple[str, Any]]:
    extension, notification = min(world.extensions), min(world.notifications)
    return [
        (f"/tasks/{open_task}/claim", None), (f"/tasks/{task}/unclaim", None),
        (f"/tasks/{open_task}/complete", {"data": WHISTLE_ANSWERS["Task_sign"]}),
        (f"/tasks/{task}/complete", {"data": WHISTLE_ANSWERS["Task_report_in"]}),
        (f"/tasks/{task}/extensions", {"clock": "complete", "extension": "1wd", "reason": "想延期"}),
        (f"/instances/{world.case}/cancel", {"reason": "外人撤销"}),
        (f"/instances/{world.case}/messages", {"name": "anything", "payload": {}}),
        (f"/extensions/{extension}/approve", {"note": ""}), (f"/extensions/{extension}/reject", {"note": ""}),
        (f"/notifications/{notification}/read", None),
    ]


def test_an_outsiders_refused_api_writes_change_nothing(api: Api, flow: Flow, world: World) -> None:
    claimed = flow.task(world.case, "Task_report_in", "CGW").id  # held by CGW.staff
    waiting = flow.task(world.case, "Task_sign", "ZJW").id  # open in 住建委's queue
    before = snapshot(api.db)
    for user in OUTSIDERS:
        for path, body in _api_writes(world, claimed, waiting):
            response = api.call(user, "POST", path, body)
            assert response.status_code == 404, (user, path, response.status_code, response.get_json())
    assert_unchanged(before, api.db)


def test_an_outsiders_refused_page_writes_change_nothing(pages: Pages, flow: Flow, world: World) -> None:
    claimed = flow.task(world.case, "Task_report_in", "CGW").id
    waiting = flow.task(world.case, "Task_sign", "ZJW").id
    extension, notification = min(world.extensions), min(world.notifications)
    writes = [
        (f"/tasks/{waiting}/claim", {}), (f"/tasks/{claimed}/unclaim", {}),
        (f"/tasks/{waiting}/complete", WHISTLE_ANSWERS["Task_sign"]),
        (f"/tasks/{claimed}/complete", WHISTLE_ANSWERS["Task_report_in"]),
        (f"/tasks/{claimed}/extensions", {"clock": "complete", "extension": "1wd", "reason": "想延期"}),
        (f"/tasks/extensions/{extension}/approve", {"note": ""}),
        (f"/tasks/extensions/{extension}/reject", {"note": ""}),
        (f"/cases/{world.case}/withdraw", {"reason": "外人撤销", "confirm": "yes"}),
        (f"/notifications/{notification}/read", {}),
    ]
    before = snapshot(flow.db)
    for user in OUTSIDERS:
        client = pages.as_(user)
        for path, data in writes:
            response = client.post(path, data=data)
            # Deciding extensions is a head's page: others are turned away by role (403) before any lookup.
            expected = {403, 404} if path.startswith("/tasks/extensions/") and user != "SWJ.head" else {404}
            assert response.status_code in expected, (user, path, response.status_code)
        # 督办/催办 is for district supervision: a department head elsewhere is refused before anything is looked up.
        assert client.post(f"/supervise/tasks/{claimed}/urge", data={"kind": "cuiban"}).status_code in (403, 404)
    assert_unchanged(before, flow.db)
