"""The repair and migration API: suspend, resume, retry, move, dry run and migrate, with every refusal."""
from __future__ import annotations

from tests.engine.broken_versions import WHISTLE, deploy_bytes, renamed_report_in_bytes
from tests.support import WHISTLE_ANSWERS, WHISTLE_DATA, Flow
from tests.web.conftest import Api

REASON = "部门系统故障，暂停办理"


def test_suspend_resume_and_move_through_the_api(api: Api, flow: Flow) -> None:
    case = flow.blow(departments=["CGW"])
    assert api.call("designer", "GET", f"/instances/{case}/repair").status_code == 200
    assert api.call("CGW.dispatcher", "GET", f"/instances/{case}/repair").status_code == 404
    refused = api.call("designer", "POST", f"/instances/{case}/suspend", {"reason": REASON})
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    short = api.call("admin", "POST", f"/instances/{case}/suspend", {"reason": "x"})
    assert short.status_code == 422

    held = api.call("admin", "POST", f"/instances/{case}/suspend", {"reason": REASON})
    assert held.status_code == 200 and held.json["status"] == "suspended" and held.json["suspended_at"]
    sign = flow.task(case, "Task_sign", "CGW")
    claim = api.call("CGW.dispatcher", "POST", f"/tasks/{sign.id}/claim")
    assert claim.status_code == 409 and "suspended" in claim.json["detail"]
    assert api.call("admin", "POST", f"/instances/{case}/suspend", {"reason": REASON}).status_code == 409
    resumed = api.call("admin", "POST", f"/instances/{case}/resume", {"reason": "恢复办理"})
    assert resumed.status_code == 200 and resumed.json["status"] == "running"

    token = next(t for t in resumed.json["tokens"] if t["element_id"] == "Task_sign")
    assert token["context"]["department"] == "CGW"
    assert {"element_id": "Task_handle", "name": "处置反馈"} in resumed.json["targets"]["whistle_department"]
    bad = api.call("admin", "POST", f"/instances/{case}/move", {"reason": REASON, "token": token["id"],
                                                                "element": "Nope"})
    assert bad.status_code == 422 and [e["field"] for e in bad.json["errors"]] == ["element"]
    moved = api.call("admin", "POST", f"/instances/{case}/move", {"reason": "跳过签收", "token": token["id"],
                                                                  "element": "Task_handle"})
    assert moved.status_code == 200
    assert [t["element_id"] for t in moved.json["tokens"] if t["process_id"] == "whistle_department"] == [
        "Task_handle"]
    history = [h["action"] for h in api.call("HP.officer", "GET", f"/instances/{case}").json["history"]]
    assert {"instance_suspended", "instance_resumed", "token_moved"} <= set(history)
    retried = api.call("admin", "POST", f"/instances/{case}/retry", {"reason": "再跑一次", "variables": {"x": 1}})
    assert retried.status_code == 200
    assert api.call("admin", "POST", f"/instances/{case}/retry",
                    {"reason": "再跑一次", "variables": {"a b": 1}}).status_code == 422


def test_migration_dry_run_then_apply(api: Api, flow: Flow) -> None:
    deploy_bytes(flow, WHISTLE)
    data = {**WHISTLE_DATA, "departments": ["CGW"]}
    mapped = flow.start("whistle", data, as_="HP.officer")
    unmapped = flow.start("whistle", data, as_="HP.officer")
    flow.complete(flow.task(unmapped, "Task_sign", "CGW").id, WHISTLE_ANSWERS["Task_sign"], as_="CGW.dispatcher")
    deploy_bytes(flow, renamed_report_in_bytes())

    assert api.call("designer", "GET", "/definitions/whistle/migrations").status_code == 400
    assert api.call("designer", "GET", "/definitions/nope/migrations?from=1&to=2").status_code == 404
    assert api.call("CGW.dispatcher", "GET", "/definitions/whistle/migrations?from=1&to=2").status_code == 403
    dry = api.call("designer", "GET", "/definitions/whistle/migrations?from=1&to=2")
    assert dry.status_code == 200 and dry.json["applied"] is False
    assert {c["id"]: c["maps"] for c in dry.json["cases"]} == {mapped: True, unmapped: False}
    body = {"from_version": 1, "to_version": 2, "reason": "修正到场报到"}
    assert api.call("designer", "POST", "/definitions/whistle/migrations", body).status_code == 403
    only = api.call("admin", "POST", "/definitions/whistle/migrations", {**body, "instances": [unmapped]})
    assert only.status_code == 200 and only.json["migrated"] == [] and [c["id"] for c in only.json["cases"]] == [
        unmapped]
    done = api.call("admin", "POST", "/definitions/whistle/migrations", body)
    assert done.status_code == 200 and done.json["migrated"] == [mapped]
    left = [c for c in done.json["cases"] if not c["migrated"]]
    assert [(c["id"], [e["element_id"] for e in c["elements"] if not e["maps"]]) for c in left] == [
        (unmapped, ["Task_report_in"])]
    assert api.call("HP.officer", "GET", f"/instances/{mapped}").json["version"] == 2
