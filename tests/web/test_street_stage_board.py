"""The street's board page shows the stages of whatever fans out over units, named as in its BPMN."""
from __future__ import annotations

import re
from pathlib import Path

from tests.support import WHISTLE_DATA, Flow
from tests.web.conftest import Pages

PATROL = Path(__file__).resolve().parents[1] / "fixtures" / "bpmn" / "boards" / "joint_patrol.bpmn"


def test_the_board_page_of_another_fan_out_shows_its_own_stage_columns_and_the_street_s_step(
        pages: Pages, flow: Flow) -> None:
    flow.deploy()
    flow.deploy(PATROL)
    case = flow.start("whistle", {**WHISTLE_DATA, "departments": ["CGW"]}, as_="HP.officer")
    flow.complete(flow.task(case, "Task_accept", "CGW").id, {}, as_="CGW.dispatcher")
    flow.complete(flow.task(case, "Task_patrol", "CGW").id, {}, as_="CGW.staff")
    html = pages.as_("HP.officer").get(f"/whistles/{case}").get_data(as_text=True)
    headers = re.findall(r"<th>([^<]*)</th>", html.split('<table class="board">')[1].split("</thead>")[0])
    assert headers[1:] == ["接单", "联合巡查", "街道销号", "街道待办"]  # after the department column
    [row] = re.findall(r'<tr data-department="CGW">(.*?)</tr>', html, re.S)
    assert re.findall(r'data-stage="(\w+)" data-state="(\w+)"\s+data-label="([^"]*)"', row) == [
        ("Task_accept", "done", "接单"), ("Task_patrol", "done", "联合巡查"), ("Task_close", "running", "街道销号")]
    close = flow.task(case, "Task_close", "HP").id
    assert re.search(rf'href="/tasks/{close}"[^>]*>街道销号</a>', row)
    for old in ("签收", "到场报到", "核验"):
        assert f"<th>{old}</th>" not in html
