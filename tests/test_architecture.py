"""The layering rules of ARCHITECTURE: web -> escalation -> engine, one SpiffWorkflow door."""
from __future__ import annotations

import ast
import functools
import json
import re
from pathlib import Path

import pytest
import yaml
from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["engine", "escalation", "web"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("package,forbidden", [
    ("engine", {"flask", "werkzeug", "apscheduler", "escalation", "web", "click"}),
    ("escalation", {"flask", "werkzeug", "web", "click"}),
])
def test_lower_layers_do_not_import_upper_ones(package: str, forbidden: set[str]) -> None:
    offenders = {str(path.relative_to(ROOT)): sorted(_top(i) for i in _imports(path) if _top(i) in forbidden)
                 for path in _modules(package)}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_the_adapter_imports_spiffworkflow() -> None:
    users = {str(p.relative_to(ROOT)) for pkg in PACKAGES for p in _modules(pkg)
             if any(_top(i) == "SpiffWorkflow" for i in _imports(p))}
    assert users and all(u.startswith("engine/spiff/") for u in users), users


def test_only_the_scheduler_module_imports_apscheduler() -> None:
    users = {str(p.relative_to(ROOT)) for pkg in PACKAGES for p in _modules(pkg)
             if any(_top(i) == "apscheduler" for i in _imports(p))}
    assert users <= {"escalation/scheduler.py"}


def test_flask_is_only_imported_below_web() -> None:
    users = {str(p.relative_to(ROOT)) for pkg in ["engine", "escalation", "processes"] for p in _modules(pkg)
             if any(_top(i) == "flask" for i in _imports(p))}
    assert users == set()


def test_no_utils_modules_and_no_god_modules() -> None:
    for pkg in PACKAGES:
        for path in _modules(pkg):
            assert path.stem not in {"utils", "util", "helpers", "misc"}, path
            assert len(path.read_text(encoding="utf-8").splitlines()) <= 450, f"{path} is too long; split it"


def test_every_module_and_public_function_has_a_docstring() -> None:
    missing = []
    for pkg in PACKAGES:
        for path in _modules(pkg):
            if "migrations/versions" in str(path):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            if not ast.get_docstring(tree):
                missing.append(str(path.relative_to(ROOT)))
            for node in tree.body:
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                    if not ast.get_docstring(node):
                        missing.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert missing == []


def test_importing_the_packages_has_no_side_effects(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = ("import logging, engine, escalation, web, web.app, web.cli, engine.spiff;"
            "from SpiffWorkflow.bpmn.specs.event_definitions import timer;"
            "import datetime; assert timer.datetime is datetime.datetime, 'clock patched at import';"
            "assert logging.getLogger('spiff').level == 0, 'logging touched at import'")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.iterdir()) == []


# --- Practice names stay out of engine/ and escalation/ (issue 11) -----------------------------------------------
# The whistle practice is content: processes/ defines its element ids, messages, forms, clocks, roles, unit kinds and
# codes, and Python below web/ names none of them. Today's offences are listed, reviewed, in DEBT_FILE; the list
# may only shrink. Migrations are not scanned: they are frozen records of what the data was (issue 11's upgrade
# migration has to name today's roles to move them).
PRACTICE = ROOT / "processes"
DEBT_FILE = Path(__file__).with_name("architecture_practice_debt.txt")
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
# Python that holds practice content today: its names count wherever they are imported or defined.
# (Issue 11 removed them all: roles, unit kinds and the scope variables are data now. The names stay listed
# so that bringing one back fails.)
PRACTICE_SYMBOLS = {"Scope": "engine/roles.py", "SCOPE_VARIABLES": "engine/roles.py",
                    "role_for_lane": "engine/roles.py", "DepartmentKind": "engine/models/organisation.py"}
PRACTICE_ENUMS = {"Scope", "DepartmentKind"}  # their members count too: `DepartmentKind.STREET`
PRACTICE_MODULES = ("engine.roles", "engine.models", "engine.models.organisation")
# Words a practice file shares with the engine's own language, reviewed one by one: never practice names.
ENGINE_WORDS = {
    "complete": "ClockKind.COMPLETE, the policy language's completion clock (the whistle's clock rule shares it)",
    "assignee": "Target.ASSIGNEE, the policy language's ladder target, and the inbox's holder column",
    "note": "the engine's own note on an assignment, an urging, an extension decision",
    "title": "the case title the engine takes from any start form; a message parameter",
    "description": "the case title's fallback from any start form",
    "address": "the sign-in throttle's client address",
    "attachments": "the form language's upload widget (x-widget) and its default field name",
    "head": "Target.HEAD, the policy language's ladder target (the head the roles declare)",
    "report_in": "ClockKind.REPORT_IN, the policy language's report-in clock (the whistle's stage shares it)",
}
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CJK = re.compile(r"[\u4e00-\u9fff]")


@functools.cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _bpmn_names(kinds: dict[str, str]) -> set[str]:
    """Adds the element ids, message names, form keys, called processes and lanes of every BPMN file in processes/.

    Returns the element ids and message names: the names that count as Python identifiers too.
    """
    referable: set[str] = set()
    for path in sorted(PRACTICE.rglob("*.bpmn")):
        for element in etree.parse(str(path)).iter(f"{BPMN}*"):
            tag = etree.QName(element).localname
            for key, value in element.attrib.items():
                if key == "id" or (tag == "message" and key == "name"):
                    kinds.setdefault(value, "BPMN message name" if key == "name" else "BPMN element id")
                    referable.add(value)
                elif key.endswith("formKey") or key == "calledElement":
                    kinds.setdefault(value, "BPMN form key" if key.endswith("formKey") else "BPMN process id")
            if tag == "lane" and element.get("name"):
                kinds.setdefault(element.get("name", ""), "role label")
            if tag == "loopDataInputRef" and element.text:
                kinds.setdefault(element.text.strip(), "case variable (multi-instance input)")
        for prop in etree.parse(str(path)).iter("{*}property"):  # extension properties: stage and clock names
            # learn_* values refer to names defined elsewhere (form fields, a DMN table's output columns)
            if re.fullmatch(r"\w+", prop.get("value", "")) and not prop.get("name", "").startswith("learn_"):
                kinds.setdefault(prop.get("value", ""), f"BPMN extension property value ({prop.get('name')})")
    return referable


def _form_fields(schema: object) -> set[str]:
    """The property names of a JSON Schema form, nested ones and those under if/then included."""
    if isinstance(schema, list):
        return set().union(*map(_form_fields, schema))
    if not isinstance(schema, dict):
        return set()
    own = schema.get("properties")
    return set(own if isinstance(own, dict) else ()).union(*map(_form_fields, schema.values()))


def _python_declared(path: str, enum: str, labels: str | None = None) -> set[str]:
    """The values of a practice enum still declared in Python (and of its labels dict), e.g. the 12345 dispatcher."""
    if not (ROOT / path).exists():
        return set()
    found: set[str] = set()
    for node in ast.walk(_tree(ROOT / path)):
        if isinstance(node, ast.ClassDef) and node.name == enum:
            found |= {n.value.value for n in node.body
                      if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant)}
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict) and _defined(node) == {labels}:
            found |= {v.value for v in node.value.values if isinstance(v, ast.Constant)}
    return found


@functools.cache
def _practice_vocabulary() -> tuple[dict[str, str], frozenset[str]]:
    """Every name the practice defines -> what it is; and the element ids and message names."""
    kinds: dict[str, str] = {}
    referable = _bpmn_names(kinds)
    for path in sorted(PRACTICE.rglob("forms/*.json")):
        for field in _form_fields(json.loads(path.read_text(encoding="utf-8"))):
            kinds.setdefault(field, "case variable (form field)")
    for path in sorted(PRACTICE.rglob("policies/*.yaml")):
        policy = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        kinds.setdefault(str(policy.get("limits_by")), "case variable (policy limits_by)")
        for section, kind in (("clocks", "policy clock name"), ("limits", "policy limit row"),
                              ("category_limits", "category code")):
            for name in policy.get(section) or {}:
                kinds.setdefault(str(name), kind)
        for step in policy.get("ladder") or []:
            for target in step.get("to") or []:
                kinds.setdefault(str(target), "role code (ladder target)")
    for path in sorted(PRACTICE.rglob("district.yaml")):
        district = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for section in ("streets", "departments", "district_units", "categories", "whistle_types"):
            for row in district.get(section) or []:
                kinds.setdefault(str(row["code"]), f"{section} code")
                if "kind" in row:
                    kinds.setdefault(str(row["kind"]), "unit kind")
                if section == "district_units" and "role" in row:
                    kinds.setdefault(str(row["role"]), "district unit role")
        for code, text in (district.get("roles") or {}).items():
            kinds.setdefault(str(code), "role code")
            for label in str(text).split(" ")[0].split("/"):
                kinds.setdefault(label, "role label")
    for path in sorted(PRACTICE.rglob("organisation.yaml")):
        _organisation_names(yaml.safe_load(path.read_text(encoding="utf-8")) or {}, kinds)
    for name in _python_declared("engine/roles.py", "Role", "_LABELS"):
        kinds.setdefault(name, "role code or label (engine/roles.py)")
    for name in _python_declared("engine/models/organisation.py", "DepartmentKind"):
        kinds.setdefault(name, "unit kind (DepartmentKind)")
    return ({k: v for k, v in kinds.items() if k not in ENGINE_WORDS},
            frozenset(referable - set(ENGINE_WORDS)))


def _organisation_names(data: dict, kinds: dict[str, str]) -> None:
    """Adds a pack's unit kinds, roles (codes and labels), unit codes and category codes."""
    for row in data.get("unit_kinds") or []:
        kinds.setdefault(str(row["code"]), "unit kind")
        kinds.setdefault(str(row["label"]), "unit kind label")
    for row in data.get("roles") or []:
        kinds.setdefault(str(row["code"]), "role code")
        kinds.setdefault(str(row["label"]), "role label")
    for section in ("units", "categories"):
        for row in data.get(section) or []:
            kinds.setdefault(str(row["code"]), f"{section} code")


def _not_data(tree: ast.AST) -> set[int]:
    """Docstrings and other bare string statements: prose, not names the code uses."""
    return {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)}


def _in_text(text: str, kinds: dict[str, str]) -> list[str]:
    """Practice names in a string constant: the whole string, a snake_case or Id_like word in it, a Chinese label."""
    if text in kinds:
        return [text]
    found = [w for w in _WORD.findall(text) if "_" in w and w in kinds]
    if _CJK.search(text):
        found += [name for name in kinds if _CJK.match(name) and len(name) > 2 and name in text]
    return found


def _practice_names_in(tree: ast.Module, relative: str) -> list[tuple[int, str]]:
    """(line, name) of every practice name a Python module uses: constants, enum members, imports, identifiers."""
    kinds, referable = _practice_vocabulary()
    prose = _not_data(tree)
    defined_here = {name for name, home in PRACTICE_SYMBOLS.items() if home == relative}
    enums = {name: name for name in defined_here & PRACTICE_ENUMS}  # the local name -> the enum's own
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) or (isinstance(node, ast.ImportFrom) and node.module == "engine"):
            prefix = "engine." if isinstance(node, ast.ImportFrom) else ""
            found += [(node.lineno, "engine.roles") for a in node.names
                      if prefix + a.name == "engine.roles" and (ROOT / "engine/roles.py").exists()
                      and "class Role(enum" in (ROOT / "engine/roles.py").read_text(encoding="utf-8")]
        elif isinstance(node, ast.ImportFrom) and node.module in PRACTICE_MODULES and node.level == 0:
            for alias in node.names:
                if alias.name in PRACTICE_SYMBOLS:
                    found.append((node.lineno, alias.name))
                if alias.name in PRACTICE_ENUMS:
                    enums[alias.asname or alias.name] = alias.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
            found += [(node.lineno, name) for name in _in_text(node.value, kinds)]
        elif isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.Assign)) and defined_here & _defined(node):
            found += [(node.lineno, name) for name in defined_here & _defined(node)]
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in enums:
            found.append((node.lineno, f"{enums[node.value.id]}.{node.attr}"))
        elif isinstance(node, ast.Attribute) and node.attr in referable:
            found.append((node.lineno, node.attr))
        identifier = _identifier(node)
        if identifier in referable:
            found.append((getattr(node, "lineno", 0), identifier))
    return sorted(set(found))


def _defined(node: ast.AST) -> set[str]:
    if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
        return {node.name}
    return {t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)}


def _identifier(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.arg):
        return node.arg
    if isinstance(node, ast.keyword):
        return node.arg
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name
    return None


@functools.cache
def _practice_names() -> dict[str, list[tuple[int, str]]]:
    """engine/ and escalation/ module -> (line, practice name) it uses; migrations left out."""
    found = {}
    for package in ("engine", "escalation"):
        for path in _modules(package):
            relative = path.relative_to(ROOT).as_posix()
            if not relative.startswith("engine/migrations/versions/"):
                found[relative] = _practice_names_in(_tree(path), relative)
    return {k: v for k, v in found.items() if v}


def _debt() -> dict[str, set[str]]:
    """The reviewed list: path -> the practice names it may still hold, each group under a one-line comment."""
    debt: dict[str, set[str]] = {}
    previous = ""
    for number, line in enumerate(DEBT_FILE.read_text(encoding="utf-8").splitlines(), 1):
        text = line.strip()
        if text and not text.startswith("#"):
            path, _, names = text.partition(":")
            assert previous.startswith("# ") and names.split(), (
                f"{DEBT_FILE.name}:{number}: write each group as a one-line comment (what issue 11 replaces it with) "
                "and then `path: name name ...`")
            debt.setdefault(path.strip(), set()).update(names.split())
        previous = text
    return debt


def test_the_practice_vocabulary_is_read_from_the_practice() -> None:
    kinds, referable = _practice_vocabulary()
    expected = {"Task_sign": "BPMN element id", "whistle_add_department": "BPMN message name",
                "whistle_sign": "BPMN form key", "verify": "BPMN extension property value (stage)",
                "arrive": "BPMN extension property value (clock)", "部门接哨员": "role label",
                "category": "case variable (form field)", "emergency": "policy limit row", "WFJS": "category code",
                "dept_head": "role code", "CGW": "departments code", "HP": "streets code", "town": "unit kind",
                "dispatch_center": "role code", "hotline_operator": "role code", "city_centre": "unit kind",
                "街道": "unit kind label", "LHQ-CGW": "units code"}
    assert {name: kinds.get(name) for name in expected} == expected
    assert {"Task_sign", "whistle_add_department", "department"} <= referable
    assert not set(ENGINE_WORDS) & set(kinds)


def test_a_practice_name_in_engine_code_is_found() -> None:
    source = ('"""Docstrings may say Task_sign and dept_head."""\nfrom engine.models import DepartmentKind as K\n'
              'STAGE = "Task_sign"\nWHO = K.STREET\nKEY = f"{1}-whistle_type"\nLABEL = "转部门接哨员"\n'
              'def f(Task_verify, complete, note): return Task_verify.Task_rate\nROLE = "hotline_operator"\n')
    assert _practice_names_in(ast.parse(source), "engine/planted.py") == [
        (2, "DepartmentKind"), (3, "Task_sign"), (4, "DepartmentKind.STREET"), (5, "whistle_type"),
        (6, "部门接哨员"), (7, "Task_rate"), (7, "Task_verify"), (8, "hotline_operator")]


def test_engine_and_escalation_name_no_practice_beyond_the_reviewed_debt() -> None:
    kinds, _ = _practice_vocabulary()
    debt = _debt()
    new = [f"{path}:{line}: {name!r} ({kinds.get(name, 'practice enum')})"
           for path, names in _practice_names().items() for line, name in names if name not in debt.get(path, ())]
    assert not new, ("engine/ and escalation/ must not name the practice (its element ids, messages, roles, unit "
                     "kinds, case variables, clocks or codes); put that knowledge in the pack under processes/ "
                     "(BPMN extension properties, forms, policies, organisation data) and read it from there "
                     "(docs/architecture.md, 'Practices are content'):\n" + "\n".join(new))


def test_the_practice_debt_only_shrinks() -> None:
    used = {path: {name for _, name in names} for path, names in _practice_names().items()}
    stale = [f"{path}: {name}" for path, names in sorted(_debt().items()) for name in sorted(names)
             if name not in used.get(path, set())]
    assert not stale, (f"No longer in the code, so strike them from {DEBT_FILE.name} (the list only shrinks):\n"
                       + "\n".join(stale))


def test_engine_and_escalation_never_read_the_shared_folder() -> None:
    readers = [f"{path.relative_to(ROOT)}:{node.lineno}" for package in ("engine", "escalation")
               for path in _modules(package) for node in ast.walk(_tree(path))
               if isinstance(node, ast.Constant) and isinstance(node.value, str)
               and re.search(r"(^|[/\\])shared([/\\]|$)|\.\./", node.value)]
    assert readers == [], "engine/ and escalation/ read what the project ships (processes/), never ../shared"
