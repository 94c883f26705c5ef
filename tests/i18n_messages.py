"""Finding every message id the product shows: engine templates, gettext calls, Jinja templates."""
from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from jinja2.ext import babel_extract

ROOT = Path(__file__).resolve().parents[1]
PYTHON_PACKAGES = ["engine", "escalation", "web"]
# Calls whose first string argument is an English template shown to people (translated when shown).
TEMPLATE_CALLS = {
    "_": 0, "gettext": 0, "lazy_gettext": 0, "N_": 0, "_l": 0,
    "NotFound": 0, "Forbidden": 0, "Conflict": 0, "StaleRevision": 0, "InvalidInput": 0, "ProcessFailed": 0,
    "WhistleError": 0, "ExpressionError": 0, "FieldError": 1, "Problem": 3, "problem": 1, "problem_at": 2,
    "fail": 0, "translate": 0, "Text": 0,
    "Message": 2,
}


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _literal(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):  # "a " + "b" split over lines
        left, right = _literal(node.left), _literal(node.right)
        return left + right if left is not None and right is not None else None
    return None


def python_messages() -> Iterator[tuple[str, Path, int]]:
    """(message id, file, line) of every template literal in the Python packages."""
    for package in PYTHON_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                index = TEMPLATE_CALLS.get(_call_name(node) or "")
                if index is None or len(node.args) <= index:
                    continue
                text = _literal(node.args[index])
                if text and any(c.isalpha() for c in text):
                    yield text, path, node.lineno
            yield from _dict_templates(tree, path)


def _dict_templates(tree: ast.AST, path: Path) -> Iterator[tuple[str, Path, int]]:
    """Templates kept in module-level tables (``TEMPLATES = {...}``, ``_MESSAGES = {...}``)."""
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) \
            else []
        if any(isinstance(t, ast.Name) and t.id in {"TEMPLATES", "_MESSAGES"} for t in targets):
            if isinstance(node.value, ast.Dict):  # type: ignore[union-attr]
                for value in node.value.values:  # type: ignore[union-attr]
                    text = _literal(value)
                    if text:
                        yield text, path, value.lineno


def template_messages() -> Iterator[tuple[str, Path, int]]:
    """(message id, file, line) of every translatable string in the Jinja templates."""
    for path in sorted((ROOT / "web").rglob("templates/**/*.html")):
        with path.open("rb") as handle:
            for line, _function, message, _comments in babel_extract(handle, ("_", "gettext", "ngettext"), [], {}):
                texts = message if isinstance(message, tuple) else (message,)
                for text in texts:
                    if text:
                        yield text, path, line


def all_messages() -> dict[str, tuple[Path, int]]:
    """Every message id with one place it comes from."""
    found: dict[str, tuple[Path, int]] = {}
    for text, path, line in [*python_messages(), *template_messages()]:
        found.setdefault(text, (path, line))
    return found
