"""The scoreboard's and the street board's marks are the rating form's: whichever form says ``x-rating``."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from lxml import html as lxml_html

from escalation import boards
from tests.support import WHISTLE_DATA, WHISTLE_PACK, Flow
from tests.web.conftest import Pages
from tests.web.test_pages_supervise import read_csv

TIMELINESS = {"title": "及时性", "x-title-en": "Timeliness", "type": "integer", "minimum": 1, "maximum": 5}
MANNER = {"title": "服务态度", "x-title-en": "Manner", "type": "integer", "minimum": 1, "maximum": 5}


def whistle_with_rating_form(tmp_path: Path, *, marked: bool = True) -> Path:
    """whistle.bpmn beside its forms, the 评价 form asking for 及时性 and 服务态度 (marked as rating or not)."""
    shutil.copytree(WHISTLE_PACK / "forms", tmp_path / "forms")
    shutil.copy(WHISTLE_PACK / "whistle.bpmn", tmp_path / "whistle.bpmn")
    form = tmp_path / "forms" / "whistle_rate.json"
    schema = json.loads(form.read_text(encoding="utf-8"))
    schema["properties"] = {"manner": MANNER, "timeliness": TIMELINESS, "comment": schema["properties"]["comment"]}
    schema["required"] = ["timeliness", "manner"]  # the order the board shows them in (not the keys', not by name)
    if not marked:
        del schema["x-rating"]
    form.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    return tmp_path / "whistle.bpmn"


def rated_whistle(flow: Flow, marks: dict[str, int]) -> int:
    """A whistle CGW finished and the street leader rated with ``marks``."""
    flow.deploy_policy()
    case = flow.start("whistle", {**WHISTLE_DATA, "departments": ["CGW"]}, as_="HP.officer")  # the version deployed
    flow.run_department(case, "CGW")
    rate = [t for t in flow.open_tasks(case, "Task_rate") if t.context.get("department") == "CGW"][0]
    flow.complete(rate.id, marks, as_="HP.leader")
    return case


def cells(html: str, code: str) -> dict[str, str]:
    """The scoreboard cells of department ``code`` by column."""
    row = html.split(f'data-department="{code}"')[1].split("</tr>")[0]
    return {col: re.sub(r"<[^>]+>", "", text).strip() for col, text in re.findall(r'data-col="(\w+)"[^>]*>(.*?)</td>',
                                                                                   row, re.S)}


def test_a_different_rating_form_gives_the_scoreboard_its_marks(pages: Pages, flow: Flow, tmp_path: Path) -> None:
    flow.deploy(whistle_with_rating_form(tmp_path))
    case = rated_whistle(flow, {"timeliness": 4, "manner": 2})
    with flow.db.transaction(write=False) as session:
        forms = boards.rating_forms(session)
        ratings = boards.department_ratings(session)["CGW"]
    assert forms.keys == {"whistle_rate"} and forms.names == ("timeliness", "manner")
    assert (ratings.count, ratings.means, ratings.overall) == (1, {"timeliness": 4.0, "manner": 2.0}, 3.0)
    supervisor = pages.as_("DCS.supervisor")
    html = supervisor.get("/supervise/departments").get_data(as_text=True)
    cgw = cells(html, "CGW")
    assert (cgw["manner"], cgw["timeliness"], cgw["ratings"]) == ("2.00", "4.00", "1")
    assert "speed" not in cgw and "服务态度" in html and "响应速度" not in html
    in_english = pages.as_("DCS.supervisor", lang="en").get("/supervise/departments/CGW").get_data(as_text=True)
    assert "<dt>Manner</dt>" in in_english and "<dt>Timeliness</dt>" in in_english
    rows = read_csv(supervisor.get("/supervise/departments?format=csv"))
    assert rows[0][8:] == ["评价数", "及时性", "服务态度"]
    assert next(r for r in rows if r[0] == "CGW")[8:] == ["1", "4.0", "2.0"]
    board = lxml_html.fromstring(pages.as_("HP.officer").get(f"/whistles/{case}").get_data(as_text=True))
    assert board.xpath("//*[@data-marks='CGW']")[0].text_content() == "评分（满分5分）：及时性 4 · 服务态度 2"


def test_a_form_not_marked_as_rating_is_not_counted(flow: Flow, tmp_path: Path) -> None:
    flow.deploy(whistle_with_rating_form(tmp_path, marked=False))
    rated_whistle(flow, {"timeliness": 4, "manner": 2})
    with flow.db.transaction(write=False) as session:
        assert boards.rating_forms(session).keys == frozenset()
        assert boards.department_ratings(session) == {}
        board = boards.scoreboard(session, flow.clock.now(), departments=["CGW"])
    assert board[0].ratings.count == 0 and board[0].ratings.means == {}
