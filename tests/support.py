"""Test helpers that read like the domain: a fake clock, actors, and a whistle flow driver."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select

from engine import accounts, definitions, instances, tasks
from engine.actors import Actor, actor_of
from engine.context import EngineContext
from engine.database import Database
from engine.models import HumanTask, ProcessInstance, TaskStatus

ROOT = Path(__file__).resolve().parents[1]
PROCESSES = ROOT / "processes"  # the processes folder: one folder per pack
WHISTLE_PACK = PROCESSES / "whistle"  # whistle.bpmn, forms/, policies/
DEMO_CITY = PROCESSES / "demo-city"  # calendars/, district.yaml
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHANGHAI = timezone(timedelta(hours=8))

WHISTLE_DATA = {
    "whistle_type": "enforcement",
    "category": "WFJS",
    "community": "和平里社区",
    "address": "和平里七区 5 号楼楼顶",
    "description": "居民反映 5 号楼楼顶有人正在搭建违章建筑，街道无法单独处置。",
    "departments": ["GHZY", "ZJW", "CGW"],
}
WHISTLE_ANSWERS = {
    "Task_sign": {"contact": "王科长 13800000000"},
    "Task_report_in": {"on_site_staff": "执法队 3 人", "note": "已到现场"},
    "Task_handle": {"result": "已责令停工并拆除违建部分", "measures": "下达限期拆除通知"},
    "Task_verify": {"satisfied": True},
    "Task_rate": {"speed": 5, "cooperation": 4, "fulfilment": 5},
}


class FakeClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        """The instant the test set."""
        return self._now

    def advance(self, **delta: float) -> datetime:
        """Move forward by ``timedelta(**delta)``."""
        self._now += timedelta(**delta)
        return self._now

    def set(self, instant: datetime) -> None:
        """Jump to ``instant``."""
        self._now = instant


@dataclass
class Flow:
    """Drives processes through the engine API as users would, one transaction per action."""

    db: Database
    ctx: EngineContext
    clock: FakeClock
    _actors: dict[str, Actor] = field(default_factory=dict)

    def actor(self, username: str) -> Actor:
        """The demo user ``username`` as an actor."""
        if username not in self._actors:
            with self.db.transaction(write=False) as session:
                self._actors[username] = actor_of(accounts.user_by_name(session, username))
        return self._actors[username]

    def deploy(self, path: Path | str = WHISTLE_PACK / "whistle.bpmn") -> Any:
        """Deploy a BPMN file (forms from the folder beside it)."""
        with self.db.transaction() as session:
            result = definitions.deploy(session, self.ctx, definitions.bundle_from_path(Path(path)),
                                        now=self.clock.now())
            return result

    def deploy_policy(self, path: Path = WHISTLE_PACK / "policies" / "whistle.yaml") -> Any:
        """Deploy an SLA policy file."""
        from escalation.policy_store import deploy_policy

        with self.db.transaction() as session:
            return deploy_policy(session, path, now=self.clock.now())

    def sweep(self, esc: Any, *, failures: int = 0) -> Any:
        """Run one sweep at the fake clock's now; it must fail exactly ``failures`` times (default none)."""
        from escalation.sweep import sweep

        report = sweep(self.db, self.ctx, esc, self.clock.now())
        # A sweep that fails quietly (a rung never marked fired, say) must not pass as "nothing due".
        assert report.failed == failures, f"the sweep failed {report.failed} time(s): {report}"
        return report

    def start(self, key: str, data: Mapping[str, Any], *, as_: str) -> int:
        """Start a case as ``as_``; returns the instance id."""
        with self.db.transaction() as session:
            return instances.start(session, self.ctx, self.actor(as_), key, data, now=self.clock.now()).id

    def blow(self, *, as_: str = "HP.officer", **changes: Any) -> int:
        """Blow the standard whistle (with ``changes`` to its data)."""
        self.deploy()
        return self.start("whistle", {**WHISTLE_DATA, **changes}, as_=as_)

    def open_tasks(self, instance_id: int, element: str | None = None,
                   department: str | None = None) -> list[HumanTask]:
        """Open or claimed tasks of a case, optionally of one element and department code."""
        with self.db.transaction(write=False) as session:
            query = select(HumanTask).where(
                HumanTask.instance_id == instance_id,
                HumanTask.status.in_([TaskStatus.OPEN, TaskStatus.CLAIMED]),
            )
            if element:
                query = query.where(HumanTask.element_id == element)
            rows = list(session.execute(query.order_by(HumanTask.id)).scalars())
            if department:
                from engine.models import Department

                dept_id = session.execute(select(Department.id).where(Department.code == department)).scalar_one()
                rows = [r for r in rows if r.department_id == dept_id]
            return rows

    def task(self, instance_id: int, element: str, department: str) -> HumanTask:
        """The single open task of ``element`` for ``department``."""
        found = self.open_tasks(instance_id, element, department)
        assert len(found) == 1, f"expected one open {element} for {department}, found {len(found)}"
        return found[0]

    def claim(self, task_id: int, *, as_: str) -> HumanTask:
        """Claim as ``as_``."""
        with self.db.transaction() as session:
            return tasks.claim(session, self.ctx, self.actor(as_), task_id, now=self.clock.now())

    def complete(self, task_id: int, data: Mapping[str, Any], *, as_: str) -> HumanTask:
        """Complete as ``as_``."""
        with self.db.transaction() as session:
            return tasks.complete(session, self.ctx, self.actor(as_), task_id, data, now=self.clock.now())

    def instance(self, instance_id: int) -> ProcessInstance:
        """The stored instance row."""
        with self.db.transaction(write=False) as session:
            found = session.get(ProcessInstance, instance_id)
            assert found is not None
            return found

    def run_department(self, instance_id: int, department: str, *, satisfied: bool = True) -> None:
        """Take one department through sign, report in, handle; the street verifies (and rates)."""
        self.complete(self.task(instance_id, "Task_sign", department).id, WHISTLE_ANSWERS["Task_sign"],
                      as_=f"{department}.dispatcher")
        self.complete(self.task(instance_id, "Task_report_in", department).id,
                      WHISTLE_ANSWERS["Task_report_in"], as_=f"{department}.staff")
        self.complete(self.task(instance_id, "Task_handle", department).id, WHISTLE_ANSWERS["Task_handle"],
                      as_=f"{department}.staff")
        verify = [t for t in self.open_tasks(instance_id, "Task_verify") if t.context.get("department") == department]
        assert len(verify) == 1, f"expected one verification for {department}, found {len(verify)}"
        answer = {"satisfied": True} if satisfied else {"satisfied": False, "comment": "现场仍有违建，请继续拆除"}
        self.complete(verify[0].id, answer, as_="HP.officer")

    def rate(self, instance_id: int, department: str) -> None:
        """The street leader rates one department."""
        rate = [t for t in self.open_tasks(instance_id, "Task_rate") if t.context.get("department") == department]
        assert len(rate) == 1, f"expected one rating for {department}, found {len(rate)}"
        self.complete(rate[0].id, WHISTLE_ANSWERS["Task_rate"], as_="HP.leader")
