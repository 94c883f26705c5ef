"""The repair page (/operate/cases/<id>) and the migration page (/operate/migrations)."""
from __future__ import annotations

import re

from engine.models import InstanceStatus
from tests.engine.broken_versions import WHISTLE, deploy_bytes, renamed_report_in_bytes
from tests.support import WHISTLE_ANSWERS, WHISTLE_DATA, Flow
from tests.web.conftest import Pages

REASON = "部门系统故障，暂停办理"


def test_an_admin_suspends_moves_and_resumes_from_the_repair_page(pages: Pages, flow: Flow) -> None:
    case = flow.blow(departments=["CGW"])
    admin = pages.as_("admin")
    assert f'href="/operate/cases/{case}"' in admin.get(f"/cases/{case}").get_data(as_text=True)
    page = admin.get(f"/operate/cases/{case}").get_data(as_text=True)
    assert "案件当前所在位置" in page and "签收" in page and "挂起案件" in page

    short = admin.post(f"/operate/cases/{case}/suspend", {"reason": "x"})
    assert short.status_code == 422 and "field-error" in short.get_data(as_text=True)
    done = admin.post(f"/operate/cases/{case}/suspend", {"reason": REASON})
    assert done.status_code == 302
    page = admin.get(f"/operate/cases/{case}").get_data(as_text=True)
    assert "已挂起" in page and "恢复案件" in page and "挂起案件" not in page
    shown = admin.get(f"/cases/{case}").get_data(as_text=True)
    assert re.search(r'status-suspended">已挂起', shown) and "案件已挂起" in shown and REASON in shown
    board = pages.as_("HP.officer").get("/whistles").get_data(as_text=True)
    assert "已挂起" in board
    queue = pages.as_("CGW.dispatcher").get("/tasks?tab=department").get_data(as_text=True)
    row = re.search(r'<tr id="task-\d+".*?</tr>', queue, re.S)
    assert row and "已挂起" in row.group(0) and 'class="primary claim"' not in row.group(0)

    assert admin.post(f"/operate/cases/{case}/resume", {"reason": "恢复办理"}).status_code == 302
    sign = flow.task(case, "Task_sign", "CGW")
    bad = admin.post(f"/operate/cases/{case}/move", {"reason": "跳过签收", "token": sign.spiff_task_id,
                                                     "element": "Nope"})
    assert bad.status_code == 422 and "不是流程" in bad.get_data(as_text=True)
    moved = admin.post(f"/operate/cases/{case}/move", {"reason": "跳过签收", "token": sign.spiff_task_id,
                                                       "element": "Task_handle"})
    assert moved.status_code == 302
    assert flow.task(case, "Task_handle", "CGW")
    bad_json = admin.post(f"/operate/cases/{case}/retry", {"reason": "重试", "variables": "[1]"})
    assert bad_json.status_code == 422 and "JSON 对象" in bad_json.get_data(as_text=True)
    history = admin.get(f"/cases/{case}").get_data(as_text=True)
    assert "已移动办理位置" in history and "Task_sign → Task_handle" in history


def test_designers_see_the_repair_page_but_cannot_act(pages: Pages, flow: Flow) -> None:
    case = flow.blow(departments=["CGW"])
    designer = pages.as_("designer")
    page = designer.get(f"/operate/cases/{case}").get_data(as_text=True)
    assert "只有系统管理员可以修复案件" in page and "挂起案件" not in page
    assert designer.post(f"/operate/cases/{case}/suspend", {"reason": REASON}).status_code == 403
    assert pages.as_("CGW.dispatcher").get(f"/operate/cases/{case}").status_code == 403
    assert flow.instance(case).status == InstanceStatus.RUNNING


def test_the_migration_page_dry_runs_then_migrates(pages: Pages, flow: Flow) -> None:
    deploy_bytes(flow, WHISTLE)
    data = {**WHISTLE_DATA, "departments": ["CGW"]}
    mapped = flow.start("whistle", data, as_="HP.officer")
    unmapped = flow.start("whistle", data, as_="HP.officer")
    flow.complete(flow.task(unmapped, "Task_sign", "CGW").id, WHISTLE_ANSWERS["Task_sign"], as_="CGW.dispatcher")
    deploy_bytes(flow, renamed_report_in_bytes())

    admin = pages.as_("admin")
    index = admin.get("/operate/migrations").get_data(as_text=True)
    assert 'href="/operate/migrations"' in index  # in the main menu (designers and administrators)
    assert "/operate/migrations?key=whistle&amp;from=1&amp;to=2" in index
    dry = admin.get("/operate/migrations?key=whistle&from=1&to=2").get_data(as_text=True)
    assert "共 2 件，可迁移 1 件。" in dry and "v2 中没有此编号的环节" in dry and 'id="migrate-form"' in dry
    assert admin.get("/operate/migrations?key=whistle&from=1&to=1").status_code == 422
    assert admin.get("/operate/migrations?key=nope&from=1&to=2").status_code == 422
    assert pages.as_("designer").get("/operate/migrations?key=whistle&from=1&to=2").status_code == 200
    refused = admin.post("/operate/migrations", {"key": "whistle", "from": "1", "to": "2", "reason": ""})
    assert refused.status_code == 422 and 'id="migrate-form"' in refused.get_data(as_text=True)
    done = admin.post("/operate/migrations", {"key": "whistle", "from": "1", "to": "2", "reason": "修正到场报到"})
    text = done.get_data(as_text=True)
    assert done.status_code == 200 and "共 2 件，已迁移 1 件；1 件留在 v1。" in text
    assert flow.instance(mapped).definition_id != flow.instance(unmapped).definition_id
    assert pages.as_("designer").post("/operate/migrations", {"key": "whistle", "from": "1", "to": "2",
                                                               "reason": "再来"}).status_code == 403
