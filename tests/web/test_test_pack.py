"""A practice the code has never heard of, over real HTTP: the four-platforms test pack, data only.

tests/fixtures/packs/four-platforms models Zhejiang's 基层治理四平台 with unit kinds and roles no
shipped pack declares. It is synced, deployed and seeded with the CLI into a database of its
own, then worked through ``whistle serve`` as the pack's demo logins: a grid member reports, the
township's command room triages, the chosen platform handles, the grid member confirms.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import yaml_lines
from tests.databases import create_schema, drop_schema
from tests.http_client import LiveServer, Reply, environment, request, whistle
from tests.support import PROCESSES

PACK = Path(__file__).resolve().parents[1] / "fixtures" / "packs" / "four-platforms"
ROOT = Path(__file__).resolve().parents[2]
USERS = ["FPX-DX-01.grid", "FPX-DX-02.grid", "FPX-XL-01.grid", "FPX-DX-ZH.officer", "FPX-XL-ZH.officer",
         "FPX-DX-ZZ.staff", "FPX-DX-SC.staff", "FPX-XL-ZF.staff", "FPX.supervisor"]
EVENT = {"title": "桃林路口违规搭建摊棚", "description": "东溪村桃林路口有人搭建摊棚占道经营，影响通行。",
         "place": "东溪村三组桃林路口", "platform_kind": "market", "urgency": "general"}


def _declared(path: Path) -> tuple[set[str], set[str]]:
    """The unit kind codes and role codes an organisation.yaml declares."""
    data = yaml_lines.load(path.read_text(encoding="utf-8")) or {}
    return ({k["code"] for k in data.get("unit_kinds") or []}, {r["code"] for r in data.get("roles") or []})


def test_the_pack_is_data_only_and_its_kinds_and_roles_exist_nowhere_else() -> None:
    """Break caught: a shipped pack or product code starting to declare or name one of these codes,
    or Python slipping into the pack — then the end-to-end test below no longer proves data suffices."""
    assert not [p for p in PACK.rglob("*") if p.suffix in (".py", ".pyc")]
    kinds, roles = _declared(PACK / "organisation.yaml")
    assert {"county", "township", "command_room", "gov_platform", "village_grid"} <= kinds
    assert {"grid_member", "command_officer", "platform_staff", "platform_lead", "county_supervisor"} <= roles
    for shipped in sorted(PROCESSES.glob("*/organisation.yaml")):
        other_kinds, other_roles = _declared(shipped)
        assert not kinds & other_kinds, shipped
        assert not roles & other_roles, shipped
    for folder in ("engine", "escalation", "web"):
        for source in (ROOT / folder).rglob("*.py"):
            text = source.read_text(encoding="utf-8")
            named = [code for code in sorted((kinds | roles) - {"county"}) if code in text]
            assert not named, f"{source.relative_to(ROOT)} names {named}"


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    """A fresh database holding only the four-platforms pack, deployed and seeded by the CLI; a live server."""
    schema_name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'pack.sqlite3'}"
    else:
        schema_name, url = create_schema("whistle_pack")
    env = environment(url, tmp_path / "instance")
    try:
        whistle("init", env=env)
        deployed = whistle("deploy", str(PACK), env=env)
        assert "organisation: 25 added" in deployed, deployed
        assert "deployed: grid_event v1" in deployed and "deployed: policy grid_event v1" in deployed, deployed
        assert whistle("org", "sync", str(PACK), env=env).strip() == "no changes"
        whistle("seed-demo", str(PACK), env=env)
        lines = whistle("user", "token", *USERS, env=env).split("\n")
        tokens = dict(line.split(" ", 1) for line in lines if line)
        live = LiveServer(env, tmp_path / "server.log")
        try:
            yield live, tokens
        finally:
            live.stop()
    finally:
        if schema_name is not None:
            drop_schema(schema_name)


def test_grid_event_from_report_to_confirmation_over_http(server: tuple[LiveServer, dict[str, str]]) -> None:
    """Breaks caught: the starter's seat not filling `grid`; `within(command_room, up(township, grid))`
    resolving to the wrong township (or every command room); the triage form's choice not reaching the
    platform lane; the rework loop; case visibility leaking to another township's units or the county
    supervisor's `oversees: [county]` not reaching the case."""
    live, tokens = server

    def call(user: str, method: str, path: str, body: object = None) -> Reply:
        return request(live.base, method, f"/api/v1{path}", token=tokens[user], body=body)

    def queue(user: str) -> list[dict]:
        reply = call(user, "GET", "/tasks?scope=department&status=open")
        assert reply.status == 200, reply.body
        return reply.body["items"]

    def work(user: str, element: str, data: dict) -> dict:
        mine = [t for t in queue(user) if t["element_id"] == element]
        assert len(mine) == 1, f"{user}: {mine}"
        task = mine[0]
        claimed = call(user, "POST", f"/tasks/{task['id']}/claim")
        assert claimed.status == 200 and claimed.body["assignee"] == user, claimed.body
        done = call(user, "POST", f"/tasks/{task['id']}/complete", {"data": data})
        assert done.status == 200, done.body
        return task

    # A grid member may report only for their own grid; the seat fills `grid` when the form leaves it out.
    foreign = call("FPX-DX-01.grid", "POST", "/instances",
                   {"process": "grid_event", "data": {**EVENT, "grid": "FPX-XL-01"}})
    assert foreign.status == 422, foreign.body
    assert call("FPX.supervisor", "POST", "/instances", {"process": "grid_event", "data": EVENT}).status == 403
    started = call("FPX-DX-01.grid", "POST", "/instances", {"process": "grid_event", "data": EVENT})
    assert started.status == 201, started.body
    case_id = started.body["id"]
    assert started.body["data"]["grid"] == "FPX-DX-01"

    # The grid's township's command room triages; the other township's sees nothing and gets 404.
    triage = [t for t in queue("FPX-DX-ZH.officer") if t["element_id"] == "Task_triage"]
    assert [(t["instance_id"], t["department"]) for t in triage] == [(case_id, "FPX-DX-ZH")]
    assert queue("FPX-XL-ZH.officer") == []
    assert call("FPX-XL-ZH.officer", "GET", f"/instances/{case_id}").status == 404
    assert call("FPX-XL-ZH.officer", "POST", f"/tasks/{triage[0]['id']}/claim").status == 404

    # A platform code that names no unit is refused at the field and changes nothing.
    bad = call("FPX-DX-ZH.officer", "POST", f"/tasks/{triage[0]['id']}/complete",
               {"data": {"handling_platform": "NO-SUCH-UNIT"}})
    assert bad.status == 422, bad.body
    assert [t["id"] for t in queue("FPX-DX-ZH.officer")] == [triage[0]["id"]]

    work("FPX-DX-ZH.officer", "Task_triage", {"handling_platform": "FPX-DX-SC", "triage_note": "市场监管平台处置"})

    # Only the chosen platform gets the handling task, not its sister platform in the same township.
    assert queue("FPX-DX-ZZ.staff") == []
    handled = work("FPX-DX-SC.staff", "Task_handle", {"result": "已劝离摊主并拆除摊棚"})
    assert handled["department"] == "FPX-DX-SC"

    # The reporter confirms; not resolved sends it back to the same platform once.
    assert queue("FPX-DX-02.grid") == []
    work("FPX-DX-01.grid", "Task_confirm", {"resolved": False, "comment": "地面仍有杂物"})
    work("FPX-DX-SC.staff", "Task_handle", {"result": "已清运杂物，路口恢复通行"})
    work("FPX-DX-01.grid", "Task_confirm", {"resolved": True})

    final = call("FPX-DX-01.grid", "GET", f"/instances/{case_id}")
    assert final.status == 200
    assert final.body["status"] == "completed" and final.body["open_tasks"] == []
    done = [(h["actor"], h["payload"].get("task")) for h in final.body["history"] if h["action"] == "completed"]
    assert done == [("FPX-DX-ZH.officer", "研判分派"), ("FPX-DX-SC.staff", "平台处置"), ("FPX-DX-01.grid", "确认办结"),
                    ("FPX-DX-SC.staff", "平台处置"), ("FPX-DX-01.grid", "确认办结")]

    # The county supervisor oversees the whole county; a platform of the other township sees nothing.
    seen = call("FPX.supervisor", "GET", f"/instances/{case_id}")
    assert seen.status == 200 and seen.body["id"] == case_id
    assert call("FPX-XL-ZF.staff", "GET", f"/instances/{case_id}").status == 404

    # The other township's grid reaches its own command room.
    other = call("FPX-XL-01.grid", "POST", "/instances", {"process": "grid_event", "data": EVENT})
    assert other.status == 201, other.body
    assert [t["instance_id"] for t in queue("FPX-XL-ZH.officer")] == [other.body["id"]]
    assert queue("FPX-DX-ZH.officer") == []
