"""Storing workflows without their specs, and spec objects cached per thread."""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.specs.defaults import ScriptTask

from engine.spiff.decisions import DecisionTask
from engine.spiff.loops import BOUNDED_CLASSES

_SPEC_CACHE_SIZE = 64

class _CachedSpecConverter(BpmnWorkflowConverter):
    """Restores a workflow around specs the caller already holds, instead of rebuilding them."""

    def from_dict(self, dct: dict[str, Any], spec: Any = None, subprocess_specs: Any = None) -> Any:
        if spec is None:
            return super().from_dict(dct)
        dct.pop("spec", None)
        dct.pop("subprocess_specs", None)
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


@cache
def serializer() -> BpmnWorkflowSerializer:
    """The workflow serializer, configured to restore workflows around cached specs."""
    config = dict(DEFAULT_CONFIG)
    config[BpmnWorkflow] = _CachedSpecConverter
    registry = BpmnWorkflowSerializer.configure(config)
    # Loops and multi-instance activities are restored as their bounded subclasses, under the
    # library's type names: stored specs stay readable and freshly parsed ones convert as before.
    for library_class, bounded_class in BOUNDED_CLASSES.items():
        DEFAULT_CONFIG[library_class](bounded_class, registry, typename=library_class.__name__)
    DEFAULT_CONFIG[ScriptTask](DecisionTask, registry)  # a business rule task stores as a script task does
    return BpmnWorkflowSerializer(registry)


@dataclass(frozen=True)
class Specs:
    """Spec objects of one definition version (top process and called processes)."""

    top: Any
    subprocesses: dict[str, Any]


class SpecCache:
    """Spec objects by definition id, rebuilt at most once per thread.

    SpiffWorkflow mutates specs while running (it connects callbacks), so threads never
    share spec objects; within a thread, runs are sequential and may reuse them.
    """

    def __init__(self, size: int = _SPEC_CACHE_SIZE) -> None:
        self._size = size
        self._local = threading.local()

    def get(self, definition_id: int, load_json: Callable[[], str]) -> Specs:
        """The specs of ``definition_id``; ``load_json`` is called only on a miss."""
        entries: OrderedDict[int, Specs] | None = getattr(self._local, "entries", None)
        if entries is None:
            entries = self._local.entries = OrderedDict()
        hit = entries.get(definition_id)
        if hit is not None:
            entries.move_to_end(definition_id)
            return hit
        payload = json.loads(load_json())
        registry = serializer().registry
        specs = Specs(
            registry.restore(payload["spec"]),
            {name: registry.restore(s) for name, s in payload["subprocess_specs"].items()},
        )
        entries[definition_id] = specs
        if len(entries) > self._size:
            entries.popitem(last=False)
        return specs
