"""Structural checks at every door: the CLI, the API and the modeler refuse errors and show warnings, located."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from engine.models import ProcessDefinition
from tests.engine.diagram_surgery import delete
from tests.support import FIXTURES, WHISTLE_PACK, Flow
from tests.web.conftest import Api, PageClient, Pages, csrf_token_of
from web.cli import cli, register_commands

register_commands()

WHISTLE = (WHISTLE_PACK / "whistle.bpmn").read_bytes()
# The broken diagram: the end event 部门办结 and the flow 签收→到场报到 deleted in the modeler.
BROKEN = delete(WHISTLE, "End_department", "Flow_to_report_in")
WARNED = (FIXTURES / "bpmn" / "faults" / "no_default_flow.bpmn").read_bytes()  # deploys, with one warning
WARNED_LINE = WARNED.decode().split('id="Gateway_check"')[0].count("\n") + 1


def count(flow: Flow) -> int:
    """How many definition versions are stored."""
    with flow.db.transaction(write=False) as session:
        return session.execute(select(func.count()).select_from(ProcessDefinition)).scalar_one()


# ---- CLI ------------------------------------------------------------------------------------------------

@pytest.fixture
def run(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Invoke the CLI against a fresh SQLite file in ``tmp_path``."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(cli, ["--database-url", url, "--instance", str(tmp_path / "instance"), *args],
                                  catch_exceptions=False)

    return invoke


def _pack(tmp_path: Path, bpmn: bytes, name: str = "whistle.bpmn", *, policy: bool = True) -> Path:
    """A process folder: the BPMN, the whistle forms and (optionally) the whistle policy beside it."""
    folder = tmp_path / "pack"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(bpmn)
    if not (folder / "forms").exists():
        (folder / "forms").symlink_to(WHISTLE_PACK / "forms")
    if policy and not (folder / "policies").exists():
        (folder / "policies").symlink_to(WHISTLE_PACK / "policies")
    return folder / name


def test_cli_validate_refuses_the_broken_diagram_naming_its_elements(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _pack(tmp_path, BROKEN)
    result = run("validate", str(path))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(re.fullmatch(rf"{re.escape(str(path))}:\d+: Task_report_in: no path from a start event .*", line)
               for line in lines), result.output
    assert any(": dead end: no flow leaves this step" in line for line in lines)


def test_cli_validate_prints_warnings_and_exits_zero(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _pack(tmp_path, WARNED, "no_default_flow.bpmn")
    result = run("validate", str(path))
    assert result.exit_code == 0, result.output
    assert f"{path}:{WARNED_LINE}: Gateway_check: warning: no default flow" in result.output
    assert "1 warning(s)" in result.output


def test_cli_checks_clocks_against_the_policy_beside_the_file(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _pack(tmp_path, WHISTLE.replace(b'name="clock" value="sign"', b'name="clock" value="sgin"'))
    result = run("validate", str(path))
    assert result.exit_code == 1
    assert "Task_sign: clock sgin is not a clock of the SLA policy of whistle" in result.output
    (tmp_path / "x").mkdir()
    alone = _pack(tmp_path / "x", path.read_bytes(), policy=False)  # no policy known: nothing to check against
    assert run("validate", str(alone)).exit_code == 0


def test_cli_deploy_refuses_errors_and_deploys_with_warnings(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("init")
    refused = run("deploy", str(_pack(tmp_path, BROKEN)))
    assert refused.exit_code == 1 and "nothing was deployed" in refused.output
    warned = run("deploy", str(_pack(tmp_path, WARNED, "no_default_flow.bpmn")))
    assert warned.exit_code == 0, warned.output
    assert "deployed: fault_no_default_flow v1" in warned.output
    assert "Gateway_check: warning: no default flow" in warned.output


# ---- API ------------------------------------------------------------------------------------------------

def _post(api: Api, xml: bytes, filename: str = "whistle.bpmn") -> Any:
    return api.call("designer", "POST", f"/definitions?filename={filename}", data=xml,
                    content_type="application/xml", headers={"Accept-Language": "zh-CN"})


def test_api_deploy_answers_with_its_warnings(api: Api) -> None:
    response = _post(api, WARNED, "no_default_flow.bpmn")
    assert response.status_code == 201
    (warning,) = response.get_json()["warnings"]
    assert warning | {"message": ""} == {"file": "no_default_flow.bpmn", "line": WARNED_LINE,
                                         "element": "Gateway_check", "severity": "warning", "message": ""}
    assert "没有默认流" in warning["message"] and "accept = no_default" in warning["message"]
    again = _post(api, WARNED, "no_default_flow.bpmn")
    assert again.status_code == 200 and len(again.get_json()["warnings"]) == 1  # unchanged, still said


def test_api_refuses_a_structurally_broken_diagram(api: Api) -> None:
    response = _post(api, BROKEN)
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "definition_invalid"
    by_element = {p["element"]: p for p in body["problems"]}
    assert by_element["Task_report_in"]["severity"] == "error"
    assert "开始事件" in by_element["Task_report_in"]["message"]
    assert body["warnings"] == []
    assert api.call("designer", "GET", "/definitions").get_json()["items"] == []


# ---- pages: the modeler and the upload form ----------------------------------------------------------------

def post_xml(page: PageClient, path: str, xml: bytes, filename: str = "whistle.bpmn") -> Any:
    """What the modeler sends: the XML as the body, the CSRF token in a header."""
    headers = {"X-CSRFToken": csrf_token_of(page.get("/notifications").get_data(as_text=True))}
    return page.client.post(f"{path}?filename={filename}", data=xml, content_type="application/xml",
                            headers=headers)


def test_the_modeler_refuses_to_deploy_while_errors_remain(pages: Pages, flow: Flow) -> None:
    flow.deploy()
    designer = pages.as_("designer")
    checked = post_xml(designer, "/design/validate", BROKEN).get_json()
    assert checked["ok"] is False
    errors = {p["element"] for p in checked["problems"] if p["severity"] == "error"}
    assert {"Task_report_in"} <= errors
    refused = post_xml(designer, "/design/deploy", BROKEN)
    assert refused.status_code == 422 and refused.get_json()["ok"] is False
    assert refused.get_json()["message"].startswith("未部署")
    assert count(flow) == 1
    fixed = post_xml(designer, "/design/deploy", WHISTLE + b"<!-- fixed -->\n")
    assert fixed.status_code == 201 and fixed.get_json()["version"] == 2


def test_the_modeler_shows_warnings_and_deploys(pages: Pages, flow: Flow) -> None:
    designer = pages.as_("designer")
    checked = post_xml(designer, "/design/validate", WARNED, "no_default_flow.bpmn").get_json()
    assert checked["ok"] is True and "1 条警告" in checked["message"]
    assert [(p["element"], p["severity"], p["line"]) for p in checked["problems"]] == [
        ("Gateway_check", "warning", WARNED_LINE)]
    deployed = post_xml(designer, "/design/deploy", WARNED, "no_default_flow.bpmn")
    assert deployed.status_code == 201
    assert [p["element"] for p in deployed.get_json()["problems"]] == ["Gateway_check"]
    assert "1 条警告" in deployed.get_json()["message"]


def test_the_modeler_checks_clocks_against_the_deployed_policy(pages: Pages, flow: Flow) -> None:
    flow.deploy()
    designer = pages.as_("designer")
    typo = WHISTLE.replace(b'name="clock" value="sign"', b'name="clock" value="sgin"')
    assert post_xml(designer, "/design/validate", typo).get_json()["ok"] is True  # no policy yet: not checked
    flow.deploy_policy()
    checked = post_xml(designer, "/design/validate", typo).get_json()
    assert checked["ok"] is False
    (problem,) = [p for p in checked["problems"] if p["element"] == "Task_sign"]
    assert "时钟 sgin 不在流程 whistle 的时限策略中" in problem["message"]


def test_the_modeler_page_carries_the_refusal_words(pages: Pages, flow: Flow) -> None:
    flow.deploy()
    page = pages.as_("designer").get("/design/whistle/edit").get_data(as_text=True)
    assert "未部署：请先改正列表中的错误（警告不影响部署）。" in page
    assert '"warning": "警告"' in page and '"error": "错误"' in page


def test_an_upload_with_warnings_deploys_and_lists_them(pages: Pages, flow: Flow) -> None:
    import io

    designer = pages.as_("designer")
    response = designer.post("/design/upload", {"file": (io.BytesIO(WARNED), "no_default_flow.bpmn")},
                             content_type="multipart/form-data")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "已部署 fault_no_default_flow，版本 1。 有 1 条警告，请查看列表。" in body
    assert re.search(r'data-element="Gateway_check" data-severity="warning">\s*<td><code translate="no">'
                     rf'no_default_flow\.bpmn:{WARNED_LINE}</code>', body)
    assert '<span class="badge status-warning">警告</span>' in body
    assert count(flow) == 1
