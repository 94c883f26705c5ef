"""``org sync`` on both databases: idempotent, a printed diff, moves take their subtree, prune deactivates,
a bad file changes nothing; demo logins follow the unit kinds. Every test rolls its work back."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import accounts, demo_logins, organisation_data, organisation_files, organisation_sync
from engine.database import Database
from engine.errors import DefinitionInvalid
from engine.models import Department, Membership, User
from tests.support import DEMO_CITY, PROCESSES

NOW = datetime(2026, 9, 28, 1, 0, tzinfo=UTC)
# Packs holding an organisation file, organisations (no diagrams) first, as the CLI orders them.
PACKS = sorted((p for p in PROCESSES.iterdir() if (p / "organisation.yaml").is_file()),
               key=lambda p: (any(p.glob("*.bpmn")), str(p)))

EXTRA = """\
units:
  - {code: ZT-S, name: 测试街道, kind: street, parent: SFQ}
  - {code: ZT-C, name: 测试社区, kind: community, parent: ZT-S}
  - {code: ZT-G, name: 测试网格, kind: community, parent: ZT-C}
"""


class RolledBack(Exception):
    """Raised to leave the shared, seeded database as it was."""


@contextmanager
def scratch(db: Database) -> Iterator[Session]:
    """A session whose work is rolled back at the end."""
    with pytest.raises(RolledBack):
        with db.transaction() as session:
            yield session
            raise RolledBack


def organisation(tmp_path: Path, extra: str | None = EXTRA):  # type: ignore[no-untyped-def]
    """Every shipped pack's organisation, plus ``extra`` (a file of its own) when given."""
    folders = list(PACKS)
    if extra is not None:
        folder = tmp_path / "zt"
        folder.mkdir(exist_ok=True)
        (folder / "organisation.yaml").write_text(extra, encoding="utf-8")
        folders.append(folder)
    return organisation_files.read(folders)


def unit(session: Session, code: str) -> Department:
    return session.execute(select(Department).where(Department.code == code)).scalar_one()


def test_the_seeded_database_already_matches_the_packs(db: Database, tmp_path: Path) -> None:
    with scratch(db) as session:
        report = organisation_sync.sync(session, organisation(tmp_path, None))
        assert report.empty and report.lines() == []


def test_sync_prints_a_diff_and_a_second_run_is_empty(db: Database, tmp_path: Path) -> None:
    with scratch(db) as session:
        first = organisation_sync.sync(session, organisation(tmp_path))
        assert first.lines() == ["+ unit ZT-S 测试街道 (street, under SFQ)",
                                 "+ unit ZT-C 测试社区 (community, under ZT-S)",
                                 "+ unit ZT-G 测试网格 (community, under ZT-C)"]
        sfq, street, grid = unit(session, "SFQ"), unit(session, "ZT-S"), unit(session, "ZT-G")
        assert street.path == f"{sfq.path}{street.id}/" and grid.path.startswith(street.path)
        second = organisation_sync.sync(session, organisation(tmp_path))
        assert second.empty and second.lines() == []
        renamed = organisation_sync.sync(session, organisation(tmp_path, EXTRA.replace("测试社区", "新社区")))
        assert renamed.lines() == ["~ unit ZT-C 新社区: name"]


def test_moving_a_unit_moves_its_subtree(db: Database, tmp_path: Path) -> None:
    with scratch(db) as session:
        organisation_sync.sync(session, organisation(tmp_path))
        moved = organisation_sync.sync(session, organisation(tmp_path, EXTRA.replace("parent: SFQ", "parent: LHQ")))
        assert moved.lines() == ["~ unit ZT-S 测试街道: parent_id"]
        lhq, sfq = unit(session, "LHQ"), unit(session, "SFQ")
        street, community, grid = unit(session, "ZT-S"), unit(session, "ZT-C"), unit(session, "ZT-G")
        assert street.path == f"{lhq.path}{street.id}/"
        assert community.path == f"{street.path}{community.id}/"
        assert grid.path == f"{community.path}{grid.id}/"
        assert not any(u.path.startswith(sfq.path) for u in (street, community, grid))


def test_prune_deactivates_a_unit_with_history_and_keeps_it(db: Database, tmp_path: Path) -> None:
    with scratch(db) as session:
        organisation_sync.sync(session, organisation(tmp_path))
        accounts.create_user(session, "zt.officer", "测试值班员", password=None, password_hash="x", now=NOW,
                             seats=[("ZT-S", "street_officer")])
        session.flush()
        kept = organisation_sync.sync(session, organisation(tmp_path, None))  # no prune: reported only
        assert kept.empty and "? unit ZT-S 测试街道" in kept.lines()
        assert unit(session, "ZT-S").active
        pruned = organisation_sync.sync(session, organisation(tmp_path, None), prune=True)
        assert sorted(pruned.deactivated) == ["unit ZT-C 测试社区", "unit ZT-G 测试网格", "unit ZT-S 测试街道"]
        street = unit(session, "ZT-S")
        assert street.active is False
        seat = session.execute(select(Membership).join(User).where(User.username == "zt.officer")).scalar_one()
        assert seat.department_id == street.id  # the history still names it
        assert unit(session, "HP").active  # units still in the data are untouched
        again = organisation_sync.sync(session, organisation(tmp_path, None), prune=True)
        assert again.empty
        back = organisation_sync.sync(session, organisation(tmp_path))
        assert "~ unit ZT-S 测试街道: active" in back.lines() and unit(session, "ZT-S").active


@pytest.mark.parametrize("text, line, words", [
    ("units:\n  - {code: ZT-S, name: 甲, kind: street, parent: SFQ}\n"
     "  - {code: ZT-X, name: 乙, kind: street, parent: NOPE}\n", 3, "unit ZT-X names an unknown parent NOPE"),
    ("units:\n  - {code: ZT-S, name: 甲, kind: planet, parent: SFQ}\n", 2, "unit ZT-S has an unknown kind planet"),
    ("units:\n  - {code: ZT-A, name: 甲, kind: street, parent: ZT-B}\n"
     "  - {code: ZT-B, name: 乙, kind: street, parent: ZT-A}\n", 2, "unit ZT-A sits in a loop"),
    ("roles:\n  - {code: zt_role, label: 测试, unit_kinds: [street], head: zt_nobody}\n", None,
     "role zt_role names an unknown role zt_nobody"),
])
def test_a_bad_file_gives_located_problems_and_changes_nothing(db: Database, tmp_path: Path, text: str,
                                                               line: int | None, words: str) -> None:
    with db.transaction(write=False) as session:
        before = sorted((u.code, u.path, u.active) for u in session.execute(select(Department)).scalars())
    with scratch(db) as session:
        with pytest.raises(DefinitionInvalid) as caught:
            organisation_sync.sync(session, organisation(tmp_path, text), prune=True)
        located = [p.located() for p in caught.value.problems]
        assert any(words in text_ for text_ in located), located
        if line is not None:
            assert any(f":{line}:" in text_ and words in text_ for text_ in located), located
        after = sorted((u.code, u.path, u.active) for u in session.execute(select(Department)).scalars())
        assert after == before


def test_bad_yaml_is_located(tmp_path: Path) -> None:
    with pytest.raises(DefinitionInvalid) as caught:
        organisation(tmp_path, "units: [\n  {code: ZT-S\n")
    [problem] = caught.value.problems
    assert problem.line == 3 and "not valid YAML" in problem.located()
    assert "zt/organisation.yaml" in problem.located()


def test_demo_logins_follow_the_unit_kinds(db: Database) -> None:
    with scratch(db) as session:
        planned = {username: seats for username, _, seats in
                   demo_logins.plan(session, demo_logins.read(DEMO_CITY / "demo.yaml"))}
        kinds = dict(session.execute(select(Department.code, Department.kind)).all())
        streets = [c for c, k in kinds.items() if k == "street"]
        departments = [c for c, k in kinds.items() if k == "department"]
        assert {"HP", "XH", "LHQ-BH"} <= set(streets) and {"CGW", "LHQ-CGW"} <= set(departments)
        for code in streets:
            assert {f"{code}.officer", f"{code}.leader", f"{code}.grid"} <= set(planned)
            assert f"{code}.dispatcher" not in planned
        for code in departments:
            assert planned[f"{code}.dispatcher"] == [(code, "dept_dispatcher")]
            assert planned[f"{code}.head"] == [(code, "dept_head")]
            assert f"{code}.officer" not in planned
        assert planned["DCS.supervisor"] == [("DCS", "supervisor")]
        assert planned["LHQ-DCS.supervisor"] == [("LHQ-DCS", "supervisor")]
        assert planned["QLD.leader"] == [("QLD", "district_leader")]
        assert "HP-01.officer" not in planned  # communities get no per-unit logins
        # every planned login exists in the seeded database with exactly that seat
        seats = {(u, d, r) for u, d, r in session.execute(
            select(User.username, Department.code, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .join(Department, Department.id == Membership.department_id))}
        for username in ("HP.officer", "LHQ-CGW.dispatcher", "DEMO-ZX.supervisor"):
            assert all((username, code, role) in seats for code, role in planned[username])
        # a new street gets its three logins; a deactivated one none
        organisation_sync.sync(session, organisation_data.read_file(DEMO_CITY / "organisation.yaml")[0])
        session.add(Department(code="ZT-NEW", name="新街道", kind="street", parent_id=unit(session, "SFQ").id,
                               path="", active=True, duties=[]))
        hp = unit(session, "HP")
        hp.active = False
        session.flush()
        replanned = {u for u, _, _ in demo_logins.plan(session, demo_logins.read(DEMO_CITY / "demo.yaml"))}
        assert {"ZT-NEW.officer", "ZT-NEW.leader", "ZT-NEW.grid"} <= replanned
        assert "HP.officer" not in replanned


def test_a_loop_through_a_unit_already_in_the_database_is_refused(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "organisation.yaml"
    path.write_text("units:\n  - {code: SFQ, name: 示范区, kind: district, parent: HP}\n", encoding="utf-8")
    with scratch(db) as session:
        with pytest.raises(DefinitionInvalid) as caught:
            organisation_sync.sync(session, organisation_data.read_file(path)[0])
        assert any("loop" in p.located() for p in caught.value.problems)
