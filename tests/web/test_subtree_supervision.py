"""Supervision reaches by subtree: a district's 督查室 sees its district, the city centre every district,
the neighbour district's 督查室 only the cases its departments take part in; the ladder's role targets
reach the nearest holders."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from engine import definitions
from engine.models import Department, HumanTask, User
from escalation.config import Escalation
from escalation.ladder import nearest_holders
from escalation.models import Notification
from escalation.policy_store import deploy_policy
from escalation.sweep import sweep
from tests.support import SHANGHAI, WHISTLE_DATA, WHISTLE_PACK
from tests.web.conftest import Api


@pytest.fixture
def cases(api: Api) -> dict[str, int]:
    """An HP whistle summoning CGW, and a 跨区联合哨 from HP summoning the neighbour district's LHQ-CGW."""
    with api.db.transaction() as session:
        definitions.deploy(session, api.app_ctx, definitions.bundle_from_path(WHISTLE_PACK / "whistle.bpmn"),
                           now=api.clock.now())
        deploy_policy(session, WHISTLE_PACK / "policies" / "whistle.yaml", now=api.clock.now())
    local = api.call("HP.officer", "POST", "/instances", {"process": "whistle", "data": {
        **WHISTLE_DATA, "departments": ["CGW"]}})
    joint = api.call("HP.officer", "POST", "/instances", {"process": "whistle", "data": {
        **WHISTLE_DATA, "whistle_type": "joint", "departments": ["LHQ-CGW"]}})
    assert local.status_code == 201 and joint.status_code == 201, (local.get_json(), joint.get_json())
    return {"local": local.get_json()["id"], "joint": joint.get_json()["id"]}


def _sees(api: Api, username: str, instance_id: int) -> bool:
    status = api.call(username, "GET", f"/instances/{instance_id}").status_code
    assert status in (200, 404), f"{username} got {status}"
    return status == 200


def _listed(api: Api, username: str) -> set[int]:
    return {row["id"] for row in api.call(username, "GET", "/instances").get_json()["items"]}


@pytest.mark.parametrize("username, local, joint", [
    ("DCS.supervisor", True, True),          # district SFQ: the street HP is in its subtree
    ("LHQ-DCS.supervisor", False, True),     # the neighbour district: only where its department takes part
    ("DEMO-ZX.supervisor", True, True),      # the city centre oversees every district
    ("XH.officer", False, False),            # another street
    ("XH.leader", False, False),             # another street's leader oversees XH only
    ("ZJW.staff", False, False),             # a department not summoned
    ("ZJW.head", False, False),
    ("LHQ-CGW.dispatcher", False, True),     # summoned by the joint whistle
    ("HP.leader", True, True),               # the street that blew both
])
def test_who_sees_which_case(api: Api, cases: dict[str, int], username: str, local: bool, joint: bool) -> None:
    assert _sees(api, username, cases["local"]) is local
    assert _sees(api, username, cases["joint"]) is joint
    listed = _listed(api, username)
    assert (cases["local"] in listed) is local and (cases["joint"] in listed) is joint


def test_the_neighbour_department_signs_its_task(api: Api, cases: dict[str, int]) -> None:
    with api.db.transaction(write=False) as session:
        task = session.execute(select(HumanTask).join(Department, Department.id == HumanTask.department_id)
                               .where(HumanTask.instance_id == cases["joint"], HumanTask.element_id == "Task_sign",
                                      Department.code == "LHQ-CGW")).scalar_one()
    refused = api.call("CGW.dispatcher", "POST", f"/tasks/{task.id}/complete", {"data": {"contact": "x"}})
    assert refused.status_code in (403, 404)
    done = api.call("LHQ-CGW.dispatcher", "POST", f"/tasks/{task.id}/complete",
                    {"data": {"contact": "李科长 13900000000"}})
    assert done.status_code == 200, done.get_json()


def _unit(session, code: str) -> int:  # type: ignore[no-untyped-def]
    return session.execute(select(Department.id).where(Department.code == code)).scalar_one()


def test_nearest_holders_stay_in_the_tasks_district(api: Api) -> None:
    with api.db.transaction(write=False) as session:
        def names(role: str, code: str) -> set[str]:
            return {u.username for u in nearest_holders(session, "supervisor", _unit(session, code))}

        assert names("supervisor", "LHQ-CGW") == {"LHQ-DCS.supervisor"}
        assert names("supervisor", "CGW") == {"DCS.supervisor"}
        assert names("supervisor", "HP-01") == {"DCS.supervisor"}
        assert names("supervisor", "DCS") == {"DCS.supervisor"}  # its own unit's subtree first


def test_an_overdue_neighbour_task_reaches_its_own_districts_supervisor(api: Api, cases: dict[str, int],
                                                                       esc: Escalation) -> None:
    api.clock.set(datetime(2026, 10, 30, 12, 0, tzinfo=SHANGHAI))  # every sign deadline long past
    assert sweep(api.db, api.app_ctx, esc, api.clock.now()).failed == 0
    with api.db.transaction(write=False) as session:
        told = {(username, instance) for username, instance in session.execute(
            select(User.username, Notification.instance_id).join(User, User.id == Notification.user_id))}
    assert ("LHQ-DCS.supervisor", cases["joint"]) in told
    assert ("DCS.supervisor", cases["joint"]) not in told
    assert ("DCS.supervisor", cases["local"]) in told
    assert ("LHQ-DCS.supervisor", cases["local"]) not in told
