"""The OpenAPI part for work distribution, comments and drafts: paths, response schemas and request bodies."""
from __future__ import annotations

from typing import Any

# Request bodies of this area, by component name (validated by web.api.params.json_object).
BODIES: dict[str, dict[str, Any]] = {}


def paths() -> dict[str, Any]:
    """Assigning and delegating tasks, refusing and adding departments, comments, drafts."""
    return {}


def schemas() -> dict[str, Any]:
    """Response schemas of this area, by component name."""
    return {}
