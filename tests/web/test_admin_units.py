"""组织机构: admins read the unit tree and rename, move or deactivate a unit; the tree and access follow."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from engine import unit_admin
from engine.database import Database
from engine.models import Department, TaskEvent
from tests.web.conftest import Pages, csrf_token_of


@pytest.fixture
def restore(db: Database) -> Iterator[None]:
    """Put HP-01 back under HP with its name, in use, after the test (the organisation is shared)."""
    yield
    with db.transaction() as session:
        unit = unit_admin.find_unit(session, "HP-01")
        hp = unit_admin.find_unit(session, "HP")
        unit.name, unit.short_name, unit.parent_id, unit.active = "和平里社区", None, hp.id, True
        from engine.organisation_sync import repath
        repath(session)


def _save(pages: Pages, username: str, code: str, form: dict[str, str]):  # type: ignore[no-untyped-def]
    client = pages.as_(username)
    token = csrf_token_of(client.get(f"/admin/units/{code}").get_data(as_text=True))
    return client.post(f"/admin/units/{code}", {"csrf_token": token, **form})


def _path(db: Database, code: str) -> str:
    with db.transaction(write=False) as session:
        return session.execute(select(Department.path).where(Department.code == code)).scalar_one()


def test_only_admins_read_and_change_units(pages: Pages) -> None:
    assert pages.as_("HP.officer").get("/admin/units").status_code == 403
    assert pages.as_("DCS.supervisor").get("/admin/units/HP").status_code == 403
    admin = pages.as_("admin")
    assert admin.get("/admin/units/NOPE").status_code == 404
    assert admin.get("/admin/units/" + "X" * 40).status_code == 404
    page = admin.get("/admin/units").get_data(as_text=True)
    order = re.findall(r'data-unit="([^"]+)"', page)
    # Each unit after its parent: the street, then its communities; the neighbour district's street under it.
    assert order.index("SFQ") < order.index("HP") < order.index("HP-01")
    assert order.index("LHQ") < order.index("LHQ-BH")
    assert "组织机构" in page and 'class="unit depth-3' in page  # DEMO › SFQ › HP › HP-01


def test_a_move_takes_the_subtree_and_changes_who_oversees_it(pages: Pages, db: Database, restore: None) -> None:
    before = _path(db, "HP-01")
    answer = _save(pages, "admin", "HP-01", {"name": "和平里社区（新）", "short_name": "和平里", "parent": "XH",
                                            "active": "on"})
    assert answer.status_code == 302
    assert _path(db, "HP-01") != before and _path(db, "HP-01").startswith(_path(db, "XH"))
    with db.transaction(write=False) as session:
        unit = unit_admin.find_unit(session, "HP-01")
        assert (unit.name, unit.short_name, unit.active) == ("和平里社区（新）", "和平里", True)
        changed = session.execute(select(TaskEvent.payload).where(TaskEvent.action == "unit_changed")
                                  .order_by(TaskEvent.id.desc()).limit(1)).scalar_one()
    assert changed["before"]["parent"] == "HP" and changed["after"]["parent"] == "XH"


def test_a_loop_or_a_bad_name_is_refused_and_changes_nothing(pages: Pages, db: Database, restore: None) -> None:
    before = _path(db, "HP")
    loop = _save(pages, "admin", "HP", {"name": "和平街道", "parent": "HP-01", "active": "on"})
    assert loop.status_code == 422 and "不能隶属于自身或其下级单位" in loop.get_data(as_text=True)
    empty = _save(pages, "admin", "HP-01", {"name": "  ", "parent": "HP", "active": "on"})
    assert empty.status_code == 422
    unknown = _save(pages, "admin", "HP-01", {"name": "x", "parent": "NOPE", "active": "on"})
    assert unknown.status_code == 422 and "NOPE" in unknown.get_data(as_text=True)
    assert _path(db, "HP") == before
    with db.transaction(write=False) as session:
        assert unit_admin.find_unit(session, "HP-01").name == "和平里社区"
