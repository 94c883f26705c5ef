"""Packs: what a pack folder holds, every pack of a processes folder in requirement order, located refusals."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine import packs
from tests.support import DEMO_CITY, PROCESSES, WHISTLE_PACK


def make_pack(root: Path, code: str, *, requires: tuple[str, ...] = (), text: str | None = None) -> Path:
    """A pack folder ``root/code`` with a pack.yaml (``text`` replaces the usual one)."""
    folder = root / code
    folder.mkdir(parents=True)
    (folder / "pack.yaml").write_text(
        text if text is not None else f"code: {code}\nname: 测试包 {code}\nrequires: [{', '.join(requires)}]\n",
        encoding="utf-8")
    return folder


def test_the_shipped_packs_say_what_they_hold() -> None:
    found, problems = packs.find_packs(PROCESSES)
    assert problems == [] and packs.strays(PROCESSES) == []
    codes = [p.code for p in found]
    assert {"demo-city", "whistle"} <= set(codes) and codes.index("demo-city") < codes.index("whistle")
    assert all(set(p.requires) <= set(codes[:index]) for index, p in enumerate(found))  # other packs may come
    city, whistle = (next(p for p in found if p.code == code) for code in ("demo-city", "whistle"))
    assert whistle.requires == ("demo-city",) and whistle.name == "街乡吹哨、部门报到"
    assert whistle.bpmn == (WHISTLE_PACK / "whistle.bpmn",) and whistle.forms == WHISTLE_PACK / "forms"
    assert whistle.policies == (WHISTLE_PACK / "policies" / "whistle.yaml",) and whistle.calendars is None
    assert city.bpmn == () and city.policies == () and city.forms is None
    assert city.calendars == DEMO_CITY / "calendars" and city.name == "示范市组织机构"


def test_a_pack_holds_top_level_bpmn_forms_policies_calendars_and_its_organisation(tmp_path: Path) -> None:
    folder = make_pack(tmp_path, "rxjb")
    for name in ("b.bpmn", "a.bpmn", "forms/x.json", "policies/b.yaml", "policies/a.yaml", "calendars/c.yaml",
                 "organisation.yaml", "demo.yaml", "drafts/old.bpmn", "policies/notes.txt"):
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_text("", encoding="utf-8")
    pack, problems = packs.read_pack(folder)
    assert problems == [] and pack is not None
    assert pack.bpmn == (folder / "a.bpmn", folder / "b.bpmn")  # drafts/old.bpmn is not the pack's
    assert pack.policies == (folder / "policies" / "a.yaml", folder / "policies" / "b.yaml")
    assert (pack.forms, pack.calendars) == (folder / "forms", folder / "calendars")
    assert (pack.organisation, pack.demo) == (folder / "organisation.yaml", folder / "demo.yaml")
    bare, _ = packs.read_pack(make_pack(tmp_path, "bare"))
    assert bare is not None and (bare.forms, bare.calendars, bare.organisation, bare.demo) == (None,) * 4


def test_packs_come_after_the_packs_they_require(tmp_path: Path) -> None:
    """By code alone the order would be alpha, mike, zulu; requirements put zulu first."""
    make_pack(tmp_path, "mike", requires=("alpha",))
    make_pack(tmp_path, "alpha", requires=("zulu",))
    make_pack(tmp_path, "zulu")
    make_pack(tmp_path, "bravo", requires=("zulu", "mike"))
    (tmp_path / "__pycache__").mkdir()  # neither a pack nor a problem
    found, problems = packs.find_packs(tmp_path)
    assert problems == []
    assert [p.code for p in found] == ["zulu", "alpha", "mike", "bravo"]


def test_a_missing_requirement_is_located_in_the_pack_yaml_that_needs_it(tmp_path: Path) -> None:
    make_pack(tmp_path, "city")
    make_pack(tmp_path, "street", requires=("city",))
    needy = make_pack(tmp_path, "hotline", text="code: hotline\nname: 接诉即办\n\nrequires:\n  - city\n  - nowhere\n")
    make_pack(tmp_path, "after", requires=("hotline",))
    found, problems = packs.find_packs(tmp_path)
    assert [(p.file, p.line, p.element, p.message) for p in problems] == [
        (str(needy / "pack.yaml"), 4, "requires", f"requires pack nowhere, which is not in {tmp_path}")]
    assert [p.code for p in found] == ["city", "street"]  # hotline and what needs it are left out


def test_a_circle_of_requirements_is_one_located_problem(tmp_path: Path) -> None:
    make_pack(tmp_path, "b", requires=("c",))
    make_pack(tmp_path, "c", requires=("a",))
    first = make_pack(tmp_path, "a", requires=("b",))
    make_pack(tmp_path, "d")
    found, problems = packs.find_packs(tmp_path)
    assert [(p.file, p.line, p.element, p.message) for p in problems] == [
        (str(first / "pack.yaml"), 3, "requires", "the packs require each other in a circle: a → b → c → a")]
    assert [p.code for p in found] == ["d"]


def test_one_pack_checks_the_packs_it_requires_beside_it(tmp_path: Path) -> None:
    whistle = make_pack(tmp_path, "whistle", requires=("city",))
    make_pack(tmp_path, "city", requires=("country",))
    pack, _ = packs.read_pack(whistle)
    assert pack is not None
    ordered, problems = packs.with_requirements(pack)
    assert [(Path(p.file).parent.name, p.element) for p in problems] == [("city", "requires")]  # country is missing
    make_pack(tmp_path, "country")
    ordered, problems = packs.with_requirements(pack)
    assert problems == [] and [p.code for p in ordered] == ["country", "city", "whistle"]


@pytest.mark.parametrize(("text", "line", "element", "words"), [
    ("- whistle\n", 1, None, "must be a mapping"),
    ("code: rxjb\nname: 接诉即办\nowner: 12345\n", 3, "owner", "unknown key owner"),
    ("code: Rxjb\nname: 接诉即办\n", 1, "code", "a lowercase letter"),
    ("code: hotline\nname: 接诉即办\n", 1, "code", "must be the name of the pack's folder (rxjb)"),
    ("code: rxjb\n", 1, "name", "name is required"),
    ("code: rxjb\nname: " + "名" * 101 + "\n", 2, "name", "at most 100 characters"),
    ("code: rxjb\nname: 接诉即办\nname_en: [a]\n", 3, "name_en", "at most 100 characters"),
    ("code: rxjb\nname: 接诉即办\nrequires: demo-city\n", 3, "requires", "must be a list"),
    ("code: rxjb\nname: 接诉即办\nrequires: [Demo_City]\n", 3, "requires", "must be a list"),
    ("code: rxjb\nname: 接诉即办\nrequires: [rxjb]\n", 3, "requires", "cannot require itself"),
    ("code: &c rxjb\nname: *c\n", 1, None, "anchors (&name) are not allowed"),
    ("code: rxjb\nname: [接诉即办\n", 3, None, "not valid YAML"),
])
def test_a_bad_pack_yaml_is_refused_where_it_is_wrong(tmp_path: Path, text: str, line: int, element: str | None,
                                                      words: str) -> None:
    folder = make_pack(tmp_path, "rxjb", text=text)
    pack, problems = packs.read_pack(folder)
    assert pack is None
    assert [(p.file, p.line, p.element) for p in problems] == [(str(folder / "pack.yaml"), line, element)]
    assert words in problems[0].message


def test_pack_yaml_that_is_not_text_or_too_large_is_refused_unread(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    folder = make_pack(tmp_path, "rxjb", text="")
    (folder / "pack.yaml").write_bytes(b"code: rxjb\nname: \xff\xfe\n")
    assert [p.message for p in packs.read_pack(folder)[1]] == ["cannot read: not UTF-8 text"]
    monkeypatch.setattr(packs, "MAX_YAML_BYTES", 30)
    (folder / "pack.yaml").write_text("code: rxjb\nname: 接诉即办\n# a comment that makes it long\n")
    assert [p.message for p in packs.read_pack(folder)[1]] == ["the file is longer than 512 KB"]


def test_what_a_pack_holds_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = make_pack(tmp_path, "rxjb")
    (folder / "forms").mkdir()
    for index in range(4):
        (folder / "forms" / f"f{index}.json").write_text("{}")
    (folder / "calendars").mkdir()
    (folder / "calendars" / "long.yaml").write_text("name: " + "x" * 80 + "\n")
    monkeypatch.setattr(packs, "MAX_YAML_BYTES", 70)  # pack.yaml is shorter
    assert [(p.file, p.message) for p in packs.read_pack(folder)[1]] == [
        (str(folder / "calendars" / "long.yaml"), "the file is longer than 512 KB")]
    monkeypatch.setattr(packs, "MAX_FILES", 4)  # four forms and one calendar
    pack, problems = packs.read_pack(folder)
    assert pack is None and [(p.file, p.message) for p in problems] == [
        (str(folder), "the pack holds 5 files; at most 4 are read")]
    monkeypatch.setattr(packs, "MAX_PACKS", 2)
    for code in ("a", "b"):
        make_pack(tmp_path, code)
    found, problems = packs.find_packs(tmp_path)
    assert [p.code for p in found] == ["a", "b"]
    assert [p.message for p in problems] == ["3 packs in one folder; at most 2 are read"]


def test_bpmn_outside_any_pack_is_pointed_out(tmp_path: Path) -> None:
    make_pack(tmp_path, "city")
    (tmp_path / "loose.bpmn").write_text("")
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "whistle.bpmn").write_text("")
    assert [(p.file, p.message) for p in packs.strays(tmp_path)] == [
        (str(tmp_path / "loose.bpmn"), "this BPMN file is in no pack: move it into a pack's folder"),
        (str(tmp_path / "old"), "this folder holds BPMN files but no pack.yaml: add one to make it a pack")]


def test_calendar_folders_of_packs_a_pack_and_a_plain_folder(tmp_path: Path) -> None:
    late = make_pack(tmp_path / "processes", "late", requires=("early",))
    early = make_pack(tmp_path / "processes", "early")
    make_pack(tmp_path / "processes", "none")
    for folder in (late, early):
        (folder / "calendars").mkdir()
    assert packs.calendar_folders(tmp_path / "processes") == ([early / "calendars", late / "calendars"], [])
    assert packs.calendar_folders(late) == ([late / "calendars"], [])
    plain = tmp_path / "plain"
    (plain / "calendars").mkdir(parents=True)
    assert packs.calendar_folders(plain) == ([plain / "calendars"], [])
    assert packs.calendar_folders(tmp_path / "nothing") == ([], [])
