"""Designer pages: the process list, upload, download, validate and deploy from the modeler, live counts,
SLA policies, and the case page's diagram data and timeline."""
from __future__ import annotations

import io
import re
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from engine.models import ProcessDefinition
from tests.support import FIXTURES, SHANGHAI, WHISTLE_PACK, Flow
from tests.web.conftest import PageClient, Pages, csrf_token_of

WHISTLE = (WHISTLE_PACK / "whistle.bpmn").read_bytes()
FORMS = sorted((WHISTLE_PACK / "forms").glob("*.json"))


def changed(xml: bytes = WHISTLE, comment: str = "v2") -> bytes:
    """The whistle BPMN with other bytes but the same meaning."""
    return xml + f"<!-- {comment} -->\n".encode()


def upload(page: PageClient, xml: bytes, name: str = "whistle.bpmn", *, forms: bool = True) -> Any:
    """Post the upload form with a .bpmn file (and the whistle forms)."""
    data: dict[str, Any] = {"file": (io.BytesIO(xml), name)}
    if forms:
        data["forms"] = [(io.BytesIO(path.read_bytes()), path.name) for path in FORMS]
    return page.post("/design/upload", data, content_type="multipart/form-data")


def post_xml(page: PageClient, path: str, xml: bytes, *, filename: str = "whistle.bpmn", csrf: bool = True) -> Any:
    """What the modeler sends: the XML as the body, the CSRF token in a header."""
    headers = {"X-CSRFToken": csrf_token_of(page.get("/notifications").get_data(as_text=True))} if csrf else {}
    return page.client.post(f"{path}?filename={filename}", data=xml, content_type="application/xml",
                            headers=headers)


def versions(flow: Flow) -> list[int]:
    """Deployed versions of whistle, oldest first."""
    with flow.db.transaction(write=False) as session:
        return list(session.execute(select(ProcessDefinition.version).where(ProcessDefinition.key == "whistle")
                                    .order_by(ProcessDefinition.version)).scalars())


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A 2026 Beijing instant."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize("path", ["/design", "/design/new", "/design/policies", "/design/whistle",
                                  "/design/whistle/edit", "/design/whistle/versions/1/bpmn",
                                  "/design/whistle/versions/1/counts"])
def test_only_designers_and_admins_may_open_design_pages(pages: Pages, flow: Flow, path: str) -> None:
    flow.deploy()
    for username in ("CGW.staff", "HP.officer", "DCS.supervisor"):
        assert pages.as_(username).get(path).status_code == 403, username
    for username in ("designer", "admin"):
        assert pages.as_(username).get(path).status_code == 200, username


def test_others_may_not_validate_deploy_or_upload(pages: Pages, flow: Flow) -> None:
    staff = pages.as_("CGW.staff")
    assert post_xml(staff, "/design/validate", WHISTLE).status_code == 403
    assert post_xml(staff, "/design/deploy", WHISTLE).status_code == 403
    assert upload(staff, WHISTLE).status_code == 403
    assert versions(flow) == []


def test_the_menu_offers_processes_to_designers_only(pages: Pages) -> None:
    assert 'href="/design"' in pages.as_("designer").get("/notifications").get_data(as_text=True)
    assert 'href="/design"' not in pages.as_("CGW.staff").get("/notifications").get_data(as_text=True)


def test_design_pages_are_chinese_first_and_english_on_request(pages: Pages) -> None:
    assert "<h1 class=\"grow\">流程</h1>" in pages.as_("designer").get("/design").get_data(as_text=True)
    english = pages.as_("admin", lang="en").get("/design").get_data(as_text=True)
    assert "<h1 class=\"grow\">Processes</h1>" in english and "Check and deploy" in english


def test_the_list_shows_versions_newest_first_with_running_cases(pages: Pages, flow: Flow, tmp_path: Any) -> None:
    flow.blow()
    flow.blow()
    (tmp_path / "whistle.bpmn").write_bytes(changed())
    flow.deploy(tmp_path / "whistle.bpmn")
    body = pages.as_("designer").get("/design").get_data(as_text=True)
    rows = re.findall(r'<tr data-version="(\d+)">.*?<code translate="no" title="([0-9a-f]{64})">([0-9a-f]{12})</code>'
                      r'.*?<td class="running">(\d+)</td>', body, re.S)
    assert [(int(v), running) for v, _sha, _prefix, running in rows] == [(2, "0"), (1, "2")]
    assert all(full.startswith(prefix) for _v, full, prefix, _r in rows)
    assert "街乡吹哨、部门报到" in body and "2 个运行中的案件" in body
    assert 'href="/design/whistle/versions/1/bpmn"' in body


def test_upload_deploys_v1_then_v2_on_change_and_nothing_on_the_same_bytes(pages: Pages, flow: Flow) -> None:
    designer = pages.as_("designer")
    first = upload(designer, WHISTLE)
    assert first.status_code == 302 and first.headers["Location"] == "/design"
    assert "已部署 whistle，版本 1。" in designer.get("/design").get_data(as_text=True)
    assert versions(flow) == [1]
    upload(designer, WHISTLE)
    assert "没有变化：whistle 版本 1 已是这些内容。" in designer.get("/design").get_data(as_text=True)
    assert versions(flow) == [1]
    upload(designer, changed(), forms=False)  # forms not sent: the deployed ones are used
    assert "已部署 whistle，版本 2。" in designer.get("/design").get_data(as_text=True)
    assert versions(flow) == [1, 2]


def test_a_broken_upload_lists_located_problems_in_chinese(pages: Pages, flow: Flow) -> None:
    broken = (FIXTURES / "bpmn" / "broken" / "dangling_ref.bpmn").read_bytes()
    response = upload(pages.as_("designer"), broken, "dangling_ref.bpmn", forms=False)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "dangling_ref.bpmn 未部署：请先修正以下问题。" in body
    located = re.findall(r'<code translate="no">(dangling_ref\.bpmn:\d+)</code></td>\s*'
                         r'<td><code translate="no">(\w+)</code></td>\s*'
                         r'<td><span class="badge status-error">错误</span></td>\s*<td>([^<]+)</td>', body)
    assert {element for _where, element, _message in located} >= {"Flow_2", "Flow_ghost"}
    messages = {element: message for _where, element, message in located}
    assert "End_missing" in messages["Flow_2"] and "不存在" in messages["Flow_2"]  # Chinese, parameters filled in
    assert versions(flow) == []


def test_an_upload_without_a_bpmn_file_is_refused_with_a_message(pages: Pages) -> None:
    response = pages.as_("designer").post("/design/upload", {"file": (io.BytesIO(b"{}"), "form.json")},
                                          content_type="multipart/form-data")
    assert response.status_code == 400
    assert "只能在这里部署 .bpmn 文件。" in response.get_data(as_text=True)


def test_download_returns_the_deployed_bytes(pages: Pages, flow: Flow) -> None:
    flow.deploy()
    response = pages.as_("designer").get("/design/whistle/versions/1/bpmn")
    assert response.status_code == 200 and response.data == WHISTLE
    assert 'filename="whistle-v1.bpmn"' in response.headers["Content-Disposition"]
    assert pages.as_("designer").get("/design/whistle/versions/9/bpmn").status_code == 404


def test_validate_pins_problems_to_element_ids_with_lines(pages: Pages, flow: Flow) -> None:
    flow.deploy()
    broken = WHISTLE.replace(b'name="\xe9\x83\xa8\xe9\x97\xa8\xe5\xa4\x84\xe7\xbd\xae\xe4\xba\xba\xe5\x91\x98"',
                             b'name="\xe6\xb8\x85\xe6\xb4\x81\xe5\xb7\xa5"')  # 部门处置人员 -> 清洁工
    broken = broken.replace(b"satisfied == True", b"__import__('os')")
    answer = post_xml(pages.as_("designer"), "/design/validate", broken).get_json()
    assert answer["ok"] is False
    by_element = {p["element"]: p for p in answer["problems"]}
    assert set(by_element) == {"Lane_dept_staff", "Flow_to_rate"}
    lane = by_element["Lane_dept_staff"]
    line = WHISTLE.decode().split('id="Lane_dept_staff"')[0].count("\n") + 1  # the lane's line, wherever it moves
    assert lane["line"] == line and lane["location"] == f"whistle.bpmn:{line}"
    assert "清洁工" in lane["message"] and "角色" in lane["message"]
    assert "__import__" in by_element["Flow_to_rate"]["message"]


def test_validate_falls_back_to_deployed_forms_and_says_when_nothing_changed(pages: Pages, flow: Flow) -> None:
    designer = pages.as_("designer")
    # The modeler sends no forms: before any deploy the form keys name nothing.
    answer = post_xml(designer, "/design/validate", WHISTLE).get_json()
    assert answer["ok"] is False
    assert {"Start_whistle", "Task_sign"} <= {p["element"] for p in answer["problems"]}
    flow.deploy()
    answer = post_xml(designer, "/design/validate", changed()).get_json()
    assert answer == {"ok": True, "key": "whistle", "unchanged": False, "problems": [],
                      "message": "没有发现问题：whistle 可以部署。"}
    answer = post_xml(designer, "/design/validate", WHISTLE).get_json()
    assert answer["ok"] is True and answer["unchanged"] is True
    assert versions(flow) == [1]  # validating never deploys


def test_validate_and_deploy_need_the_csrf_token(pages: Pages, flow: Flow) -> None:
    designer = pages.as_("designer")
    assert post_xml(designer, "/design/validate", WHISTLE, csrf=False).status_code == 400
    assert post_xml(designer, "/design/deploy", WHISTLE, csrf=False).status_code == 400
    assert versions(flow) == []


def test_deploy_from_the_modeler_creates_versions_and_lists_problems(pages: Pages, flow: Flow) -> None:
    designer = pages.as_("designer")
    flow.deploy()
    same = post_xml(designer, "/design/deploy", WHISTLE)
    assert same.status_code == 200
    assert same.get_json()["created"] is False and same.get_json()["version"] == 1
    assert same.get_json()["message"] == "没有变化：whistle 版本 1 已是这些内容。"
    new = post_xml(designer, "/design/deploy", changed())
    assert new.status_code == 201
    assert new.get_json() | {"message": ""} == {
        "ok": True, "created": True, "key": "whistle", "version": 2, "message": "", "problems": [],
        "edit_url": "/design/whistle/edit", "view_url": "/design/whistle"}
    assert new.get_json()["message"] == "已部署 whistle，版本 2。"
    broken = post_xml(designer, "/design/deploy", WHISTLE.replace(b'targetRef="Task_rate"', b'targetRef="Task_gone"'))
    assert broken.status_code == 422
    assert [p["element"] for p in broken.get_json()["problems"]][:1] == ["Flow_to_rate"]
    assert versions(flow) == [1, 2]


def test_the_modeler_pages_carry_what_the_script_needs(pages: Pages, flow: Flow) -> None:
    flow.deploy()
    designer = pages.as_("designer")
    edit = designer.get("/design/whistle/edit").get_data(as_text=True)
    assert 'data-xml-url="/design/whistle/versions/1/bpmn"' in edit and 'data-filename="whistle.bpmn"' in edit
    assert "bpmn-modeler.production.min.js" in edit and "bpmn-navigated-viewer" not in edit
    assert 'name="csrf-token"' in edit and "校验" in edit and "部署" in edit
    new = designer.get("/design/new").get_data(as_text=True)
    assert 'data-xml-url="/design/blank.bpmn"' in new
    blank = designer.get("/design/blank.bpmn").data
    answer = post_xml(designer, "/design/validate", blank, filename="new_process.bpmn").get_json()
    assert answer["ok"] is True and answer["key"] == "new_process"
    viewer = designer.get("/design/whistle").get_data(as_text=True)
    assert "bpmn-navigated-viewer.production.min.js" in viewer and "bpmn-modeler" not in viewer
    assert 'data-counts-url="/design/whistle/versions/1/counts"' in viewer
    assert designer.get("/design/nothing").status_code == 404
    assert designer.get("/design/whistle?version=7").status_code == 404


def test_counts_give_waiting_and_overdue_tasks_per_element(pages: Pages, flow: Flow) -> None:
    flow.deploy_policy()
    case = flow.blow(departments=["GHZY", "CGW"], whistle_type="enforcement", category="WFJS")
    designer = pages.as_("designer")
    counts = designer.get("/design/whistle/versions/1/counts").get_json()
    assert counts["elements"] == {"Task_sign": {"waiting": 2, "overdue": 0}}
    assert (counts["waiting"], counts["overdue"]) == (2, 0)
    flow.complete(flow.task(case, "Task_sign", "GHZY").id, {}, as_="GHZY.dispatcher")
    flow.clock.set(at(9, 28, 11, 30))  # signing was due at 11:00 (2 working hours)
    designer = pages.as_("designer")  # two and a half idle hours ended the first session
    counts = designer.get("/design/whistle/versions/1/counts").get_json()
    assert counts["elements"] == {"Task_sign": {"waiting": 1, "overdue": 1},
                                  "Task_report_in": {"waiting": 1, "overdue": 0}}
    assert counts["at"] == "2026-09-28 11:30:00"


def test_case_diagram_gives_the_version_and_element_states(pages: Pages, flow: Flow) -> None:
    case = flow.blow(departments=["GHZY", "CGW"])
    flow.complete(flow.task(case, "Task_sign", "GHZY").id, {}, as_="GHZY.dispatcher")
    response = pages.as_("HP.officer").get(f"/cases/{case}/diagram")
    assert response.status_code == 200
    data = response.get_json()
    assert (data["key"], data["version"]) == ("whistle", 1)
    assert data["xml"].encode() == WHISTLE
    states = data["states"]
    assert states["Start_whistle"] == {"completed": 1, "active": 0}
    assert states["Task_sign"] == {"completed": 1, "active": 1}
    assert states["Task_report_in"] == {"completed": 0, "active": 1}
    assert states["Call_departments"]["active"] >= 1
    assert "Task_rate" not in states
    assert pages.as_("ZJW.staff").get(f"/cases/{case}/diagram").status_code == 404  # not summoned


def test_case_page_shows_the_diagram_and_escalations_in_the_timeline(pages: Pages, flow: Flow, esc: Any) -> None:
    flow.deploy_policy()
    case = flow.blow(departments=["CGW"], whistle_type="enforcement", category="WFJS")
    flow.clock.set(at(9, 28, 10, 40))  # past 50% (10:00) and 80% (10:36) of signing
    flow.sweep(esc)
    flow.clock.set(at(9, 28, 10, 50))
    flow.complete(flow.task(case, "Task_sign", "CGW").id, {}, as_="CGW.dispatcher")
    body = pages.as_("HP.officer").get(f"/cases/{case}").get_data(as_text=True)
    assert f'data-url="/cases/{case}/diagram"' in body and "流程图" in body
    timeline = body[body.index('<ol class="timeline">'):]
    kinds = ["escalation" if escalation else kind
             for kind, escalation in re.findall(r'<li class="([\w-]+)[^"]*"( data-escalation)?', timeline)]
    assert kinds.count("escalation") == 2  # the 50% and 80% rungs of signing, once for both clocks
    started, completed = kinds.index("kind-started"), kinds.index("kind-completed")
    escalations = [i for i, k in enumerate(kinds) if k == "escalation"]
    assert started < min(escalations) and max(escalations) < completed  # fired after the whistle, before signing
    assert "提醒" in timeline and "告知负责人" in timeline
    # The reported data reads as the form titles it: field titles, option names, department names.
    reported = body[body.index('<dl class="kv">'):body.index("</dl>")]
    assert "<dt>吹哨类型</dt><dd>综合执法哨</dd>" in reported and "<dt>问题类别</dt><dd>违法建设</dd>" in reported
    assert "<dt>召集部门</dt><dd>区城市管理委员会</dd>" in reported
    assert "<dt>吹哨街道（乡镇）</dt><dd>和平街道</dd>" in reported
    assert "whistle_type" not in reported and "enforcement" not in reported


def test_policies_page_shows_deployed_sources_and_checks_a_text(pages: Pages, flow: Flow) -> None:
    flow.deploy_policy()
    designer = pages.as_("designer")
    body = designer.get("/design/policies").get_data(as_text=True)
    assert '<pre class="design-source" translate="no">' in body and "limits_by: whistle_type" in body
    assert "v1" in body
    source = (WHISTLE_PACK / "policies" / "whistle.yaml").read_text(encoding="utf-8")
    good = designer.post("/design/policies", {"source": source})
    assert good.status_code == 200 and "没有发现问题" in good.get_data(as_text=True)
    bad = designer.post("/design/policies", {"source": source.replace('at: "80%"', 'at: "180%"')})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert re.search(r"<code translate=\"no\">policy\.yaml:\d+</code>", text), text
    assert "180%" in text and "1% 到 100%" in text
    assert pages.as_("CGW.head").post("/design/policies", {"source": source}).status_code == 403
