"""The layering rules of ARCHITECTURE: web -> escalation -> engine, one SpiffWorkflow door."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

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
