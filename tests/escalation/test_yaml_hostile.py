"""Hostile YAML: alias bombs, deep nesting, huge files and values are refused with a located error, fast."""
from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest

from engine import organisation_data, yaml_lines
from escalation.calendars import load_calendars
from escalation.policies import read_policy
from tests.support import DEMO_CITY, ROOT, WHISTLE_PACK

POLICY = (WHISTLE_PACK / "policies" / "whistle.yaml").read_text(encoding="utf-8")


def alias_bomb(head: str = "process: whistle\nlimits_by: whistle_type\n") -> str:
    """A few hundred bytes that expand to 9**8 (43 million) strings when aliases are followed."""
    lines = [head + 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefg", "bcdefgh", strict=False):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    lines.append("limits: {enforcement: {sign: *h}}")
    return "\n".join(lines) + "\n"


def test_the_alias_bomb_policy_is_refused_at_its_first_anchor_quickly() -> None:
    bomb = alias_bomb()
    assert len(bomb.encode()) < 450
    begun = time.process_time()
    policy, problems = read_policy(bomb, "bomb.yaml")
    spent = time.process_time() - begun
    assert policy is None
    assert [(p.file, p.line, p.message) for p in problems] == [
        ("bomb.yaml", 3, "anchors (&name) are not allowed in YAML files")]
    assert spent < 2  # it took 13 s when the aliases were expanded; refused, it takes well under a millisecond


@pytest.mark.parametrize("text,line,code", [
    ("process: whistle\nlimits: {a: *nowhere}\n", 2, "alias"),  # refused before it is even looked up
    ("process: &p whistle\n", 1, "anchor"),
    ("x: 1\ny: [1, 2]\nz: !!set {a, b}\nw: &w 1\nv: *w\n", 4, "anchor"),
    ("ladder:\n" + "  " * 1 + "[" * 40 + "]" * 40 + "\n", 2, "depth"),
    ("process: " + "[" * 100_000 + "\n", 1, "depth"),  # would overflow the parser's recursion
    ("process: " + "9" * 5000 + "\n", 1, "value"),  # Python refuses to convert so many digits
])
def test_hostile_documents_are_located_errors(text: str, line: int, code: str) -> None:
    with pytest.raises(yaml_lines.YamlError) as refused:
        yaml_lines.load(text)
    assert (refused.value.code, refused.value.line) == (code, line)
    assert len(str(refused.value)) < 300


def test_a_file_over_the_size_limit_is_refused_before_parsing() -> None:
    text = "x: " + "a" * yaml_lines.MAX_CHARACTERS + "\n"
    with pytest.raises(yaml_lines.YamlError) as refused:
        yaml_lines.load(text)
    assert refused.value.code == "size" and refused.value.line == 1


def test_the_organisation_file_refuses_aliases_with_file_and_line(tmp_path: Path) -> None:
    shipped = DEMO_CITY / "organisation.yaml"
    text = shipped.read_text(encoding="utf-8")
    path = tmp_path / "organisation.yaml"
    path.write_text(text + alias_bomb(""), encoding="utf-8")
    _organisation, problems = organisation_data.read_file(path)
    anchor = yaml_lines.YamlError("anchor", 1).template
    assert [(p.line, p.template) for p in problems] == [(text.count("\n") + 1, anchor)]
    organisation, problems = organisation_data.read_file(shipped)
    assert problems == [] and organisation.units  # the shipped file has none and still reads


def test_calendar_files_refuse_aliases_and_odd_years_with_a_located_problem(tmp_path: Path) -> None:
    (tmp_path / "duty.yaml").write_text("name: duty\nwindows: &w [[\"00:00\", \"24:00\"]]\n", encoding="utf-8")
    (tmp_path / "holidays.yaml").write_text("years:\n  nineteen:\n    complete: true\n  2027: {holidays: [*x]}\n",
                                            encoding="utf-8")
    _, problems = load_calendars(tmp_path)
    found = sorted((Path(p.file).name, p.line, p.message) for p in problems)
    assert ("duty.yaml", 2, "anchors (&name) are not allowed in YAML files") in found
    assert [name for name, _, _ in found].count("holidays.yaml") == 1  # the alias, refused
    (tmp_path / "holidays.yaml").write_text("years:\n  nineteen:\n    complete: true\n", encoding="utf-8")
    _, problems = load_calendars(tmp_path)
    assert [(p.line, p.message) for p in problems if p.file.endswith("holidays.yaml")] == [
        (2, "nineteen is not a year (write e.g. 2027)")]


def test_problems_repeat_only_the_start_of_a_huge_value() -> None:
    huge = "shout" * 20_000
    policy, problems = read_policy(POLICY.replace("action: notify", f"action: {huge}"), "whistle.yaml")
    assert policy is None
    [problem] = problems
    assert problem.message.startswith("action shout") and len(problem.message) < 300


def test_a_list_where_a_name_belongs_is_a_problem_not_a_crash() -> None:
    broken = POLICY.replace("{report_in: sign, complete: sign}", "{report_in: [sign], complete: sign}")
    assert broken != POLICY
    policy, problems = read_policy(broken.replace("to: [assignee]", "to: 5", 1), "whistle.yaml")
    assert policy is None and {p.element for p in problems} >= {"report_in"}


def test_only_the_hardened_loader_imports_yaml() -> None:
    users = []
    for package in ("engine", "escalation", "web"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
            names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
            if any(name.split(".")[0] == "yaml" for name in names):
                users.append(str(path.relative_to(ROOT)))
    assert users == ["engine/yaml_lines.py"]
