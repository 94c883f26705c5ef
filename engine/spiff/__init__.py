"""The SpiffWorkflow adapter: the only package that imports SpiffWorkflow.

Everything library-specific stays behind this door, so an upgrade of the library touches
these modules only. Specs are serialized once per definition version and cached per
thread (the library mutates specs while running, so threads never share them).
"""
from engine.spiff.clock import clock
from engine.spiff.decisions import embedded as embedded_decisions
from engine.spiff.decisions import learning as learning_plans
from engine.spiff.parsing import SpecBuildError, SpecProblem, build_specs, schema_errors, timer_literal_ok
from engine.spiff.run import EngineRunError, ReadyTask, WorkflowRun
from engine.spiff.scripts import ISO_TIMER_LITERAL, ScriptTaskRefused, script_assignments
from engine.spiff.storage import SpecCache, Specs

__all__ = [
    "ISO_TIMER_LITERAL",
    "EngineRunError",
    "ReadyTask",
    "ScriptTaskRefused",
    "SpecBuildError",
    "SpecCache",
    "SpecProblem",
    "Specs",
    "WorkflowRun",
    "build_specs",
    "clock",
    "embedded_decisions",
    "learning_plans",
    "schema_errors",
    "script_assignments",
    "timer_literal_ok",
]
