"""What every engine operation needs besides the session: evaluator, listeners, caches, switches."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.assignment import DepartmentDirectory
from engine.expressions import Evaluator
from engine.hooks import Listeners
from engine.learned_models import LearnedModels
from engine.models import ProcessDefinition
from engine.spiff import SpecCache, Specs


@dataclass(frozen=True)
class DefinitionParts:
    """The small, immutable parts of a definition version that every action reads."""

    id: int
    key: str
    version: int
    name: str
    catalog: dict[str, Any]
    forms: dict[str, Any]

    def element(self, element_id: str) -> dict[str, Any]:
        """Catalog entry of an element (lane, role, form, properties)."""
        return self.catalog.get("elements", {}).get(element_id, {})

    def form(self, key: str | None) -> dict[str, Any] | None:
        """The JSON Schema of form ``key``, or None when the element has no form."""
        return self.forms.get(key) if key else None


@dataclass
class EngineContext:
    """Built once per database by the composition root and handed to engine functions.

    Definition versions never change once stored, so their parts and spec objects are
    cached here for the life of the context.
    """

    evaluator: Evaluator = field(default_factory=Evaluator)
    listeners: Listeners = field(default_factory=Listeners)
    allow_script_tasks: bool = False
    # The whistle practice's suspected-duplicate window (engine.whistle_rules); 0 turns the warning off.
    # Off for a bare context (library use, benchmarks); the app turns it on from its settings (3 days).
    duplicate_days: int = 0
    specs: SpecCache = field(default_factory=SpecCache)
    # Models learned from people's decisions (人机协同); the app turns them off with WHISTLE_LEARNING=off.
    learned: LearnedModels = field(default_factory=LearnedModels)
    _parts: dict[int, DefinitionParts] = field(default_factory=dict, repr=False)
    _department_ids: dict[str, int] = field(default_factory=dict, repr=False)

    def directory(self, session: Session) -> DepartmentDirectory:
        """Unit lookups for one transaction, sharing the ids this context already knows."""
        return DepartmentDirectory(session, self._department_ids)

    def parts(self, session: Session, definition_id: int) -> DefinitionParts:
        """Catalog and forms of a definition version (read once, then cached)."""
        found = self._parts.get(definition_id)
        if found is None:
            row = session.execute(
                select(
                    ProcessDefinition.key,
                    ProcessDefinition.version,
                    ProcessDefinition.name,
                    ProcessDefinition.catalog,
                    ProcessDefinition.forms,
                ).where(ProcessDefinition.id == definition_id)
            ).one()
            found = DefinitionParts(definition_id, row.key, row.version, row.name, row.catalog, row.forms)
            self._parts[definition_id] = found
        return found

    def spec_objects(self, session: Session, definition_id: int) -> Specs:
        """SpiffWorkflow spec objects of a definition version (built once per thread)."""

        def load() -> str:
            return session.execute(
                select(ProcessDefinition.spec).where(ProcessDefinition.id == definition_id)
            ).scalar_one()

        return self.specs.get(definition_id, load)
