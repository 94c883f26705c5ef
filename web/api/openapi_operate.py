"""The OpenAPI part for incidents, case repair and migration: paths, response schemas and request bodies."""
from __future__ import annotations

from typing import Any

# Request bodies of this area, by component name (validated by web.api.params.json_object).
BODIES: dict[str, dict[str, Any]] = {}


def paths() -> dict[str, Any]:
    """Incidents and case repair (suspend, resume, retry, move) and version migration."""
    return {}


def schemas() -> dict[str, Any]:
    """Response schemas of this area, by component name."""
    return {}
