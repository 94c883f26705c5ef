"""The only module that imports SpiffWorkflow: parsing, the safe script engine, runs, storage.

Everything SpiffWorkflow-specific stays behind this door, so an upgrade of the library
touches one file. Specs are serialized once per definition version and cached per thread
(the library mutates specs while running, so threads never share them).
"""
from __future__ import annotations

import contextvars
import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from engine.expressions import Evaluator, ExpressionError

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_SPIFF_LOGGERS = ("spiff", "spiff.task", "spiff.workflow", "spiff.data", "spiff.dmn")
_SPEC_CACHE_SIZE = 64

# Designers' tools write timer values as bare ISO 8601 literals (`PT2H`, `R3/PT1H`, a date).
ISO_TIMER_LITERAL = re.compile(
    r"^(R\d*/)?("
    r"P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?"
    r"(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?"
    r"|\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?"
    r")(/P[0-9YMWDTHS.]+)?$"
)


class EngineRunError(Exception):
    """The workflow failed while running (a condition, a timer, a missing variable)."""

    def __init__(self, message: str, element: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.element = element


class ScriptTaskRefused(Exception):
    """A script task ran although script tasks are disabled."""


# --------------------------------------------------------------------------- clock

_NOW: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("whistle_now", default=None)
_clock_lock = threading.Lock()


class _ClockedDatetime(datetime):
    """``datetime`` whose ``now`` answers the instant the caller passed in (see :func:`clock`)."""

    @classmethod
    def now(cls, tz: Any = None) -> Any:  # type: ignore[override]
        pinned = _NOW.get()
        if pinned is None:
            return datetime.now(tz)
        return pinned.astimezone(tz) if tz is not None else pinned.astimezone().replace(tzinfo=None)


def _install_clock() -> None:
    """Make SpiffWorkflow's timers read our ``now`` (it calls ``datetime.now`` in one module)."""
    with _clock_lock:
        if spiff_timer.datetime is not _ClockedDatetime:
            spiff_timer.datetime = _ClockedDatetime  # type: ignore[misc]
            for name in _SPIFF_LOGGERS:  # task data (personal data) would land in logs otherwise
                logging.getLogger(name).setLevel(logging.WARNING)


@contextmanager
def clock(now: datetime) -> Iterator[None]:
    """Run the block with SpiffWorkflow's notion of "now" pinned to ``now``."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    _install_clock()
    token = _NOW.set(now)
    try:
        yield
    finally:
        _NOW.reset(token)


# --------------------------------------------------------------------------- scripts


class _SafeEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates expressions with :class:`Evaluator`; runs no Python at all."""

    def __init__(self, evaluator: Evaluator, allow_script_tasks: bool) -> None:
        super().__init__({})
        self.evaluator = evaluator
        self.allow_script_tasks = allow_script_tasks

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        text = expression.strip()
        if ISO_TIMER_LITERAL.match(text):
            return text
        variables = {**(external_context or {}), **context}
        return self.evaluator.evaluate(text, variables)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        if not self.allow_script_tasks:
            raise ScriptTaskRefused("script tasks are disabled on this server")
        for target, expression in script_assignments(script):
            context[target] = self.evaluate(expression, context, external_context)
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise ScriptTaskRefused("service tasks are not supported")


def script_assignments(script: str) -> list[tuple[str, str]]:
    """Split a script task body into ``name = expression`` lines (the only form allowed)."""
    pairs = []
    for number, raw in enumerate(script.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        target, sep, expression = line.partition("=")
        target = target.strip()
        if not sep or not target.isidentifier() or expression.startswith("="):
            raise ExpressionError("line {line}: only 'name = expression' lines are allowed", line, line=number)
        pairs.append((target, expression.strip()))
    return pairs


class _SafeScriptEngine(PythonScriptEngine):
    """SpiffWorkflow script engine bound to the whitelisted evaluator."""

    def __init__(self, evaluator: Evaluator, allow_script_tasks: bool) -> None:
        super().__init__(environment=_SafeEnvironment(evaluator, allow_script_tasks))

    def validate(self, expression: str) -> None:
        self.environment.evaluator.check(expression)


# --------------------------------------------------------------------------- parsing


@cache
def bpmn_schema() -> etree.XMLSchema:
    """The BPMN 2.0 XSD shipped with SpiffWorkflow, compiled once."""
    import SpiffWorkflow.bpmn.parser as parser_package

    path = Path(parser_package.__file__).with_name("schema") / "BPMN20.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


def schema_errors(tree: etree._ElementTree) -> list[tuple[int, str]]:
    """Every XSD violation as (line, message)."""
    schema = bpmn_schema()
    if schema.validate(tree):
        return []
    return [(error.line, _short_xsd_message(error.message)) for error in schema.error_log]


def _short_xsd_message(message: str) -> str:
    return re.sub(r"\{http://www\.omg\.org/spec/BPMN/20100524/MODEL\}", "bpmn:", message)


@dataclass(frozen=True)
class SpecProblem:
    """A problem SpiffWorkflow found while building specs."""

    element: str | None
    message: str


def build_specs(tree: etree._ElementTree, filename: str, process_id: str) -> str:
    """Parse the tree with SpiffWorkflow and return the serialized specs as JSON.

    Raises :class:`SpecProblem` wrapped in :class:`SpecBuildError`.
    """
    parser = BpmnParser()
    try:
        parser.add_bpmn_xml(tree, filename=filename)
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as error:
        raise SpecBuildError(SpecProblem(getattr(error, "id", None) or None, _spiff_message(error))) from None
    except (SpiffWorkflowException, KeyError, ValueError, TypeError, AttributeError, IndexError) as error:
        # The library raises plain errors on some malformed models; report them, never crash.
        raise SpecBuildError(SpecProblem(None, f"the engine cannot read this model ({error})")) from None
    registry = _serializer().registry
    payload = {
        "spec": registry.convert(spec),
        "subprocess_specs": {name: registry.convert(s) for name, s in subprocess_specs.items()},
    }
    return json.dumps(payload, ensure_ascii=False)


class SpecBuildError(Exception):
    """SpiffWorkflow refused the model."""

    def __init__(self, problem: SpecProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _spiff_message(error: ValidationException) -> str:
    text = str(error.args[0]) if error.args else str(error)
    return text.strip().rstrip(".") or type(error).__name__


def timer_literal_ok(text: str) -> bool:
    """Whether SpiffWorkflow understands an ISO 8601 timer literal."""
    try:
        if text.upper().startswith("R"):
            TimerEventDefinition.parse_iso_recurring_interval(text)
        elif text.upper().startswith("P"):
            TimerEventDefinition.parse_iso_duration(text)
        else:
            TimerEventDefinition.get_datetime(text)
    except Exception:  # the library raises bare Exception for bad literals
        return False
    return True


# --------------------------------------------------------------------------- storage


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
def _serializer() -> BpmnWorkflowSerializer:
    config = dict(DEFAULT_CONFIG)
    config[BpmnWorkflow] = _CachedSpecConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


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
        registry = _serializer().registry
        specs = Specs(
            registry.restore(payload["spec"]),
            {name: registry.restore(s) for name, s in payload["subprocess_specs"].items()},
        )
        entries[definition_id] = specs
        if len(entries) > self._size:
            entries.popitem(last=False)
        return specs


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class ReadyTask:
    """A human task the workflow is waiting on."""

    id: str
    process_id: str
    element_id: str
    name: str
    lane: str | None
    data: Mapping[str, Any]


class WorkflowRun:
    """One loaded workflow: start it, complete its tasks, deliver messages, store it."""

    def __init__(self, workflow: BpmnWorkflow) -> None:
        self._wf = workflow

    @classmethod
    def new(cls, specs: Specs, evaluator: Evaluator, allow_scripts: bool) -> WorkflowRun:
        """A fresh workflow of a definition version, not yet started."""
        engine = _SafeScriptEngine(evaluator, allow_scripts)
        return cls(BpmnWorkflow(specs.top, specs.subprocesses, script_engine=engine))

    @classmethod
    def load(cls, specs: Specs, state: str, evaluator: Evaluator, allow_scripts: bool) -> WorkflowRun:
        """Restore a stored workflow and re-attach the safe script engine (it is not stored)."""
        serializer = _serializer()
        dct = json.loads(state)
        serializer.migrate(dct)
        workflow = serializer.from_dict(dct, spec=specs.top, subprocess_specs=specs.subprocesses)
        workflow.script_engine = _SafeScriptEngine(evaluator, allow_scripts)
        return cls(workflow)

    def dump(self) -> str:
        """The workflow state as JSON, without the specs (those are stored once per version)."""
        serializer = _serializer()
        dct = serializer.to_dict(self._wf)
        dct.pop("spec", None)
        dct.pop("subprocess_specs", None)
        dct[serializer.VERSION_KEY] = serializer.VERSION
        return json.dumps(dct, ensure_ascii=False, separators=(",", ":"), default=_json_default)

    # -- actions ----------------------------------------------------------------

    def start(self, data: Mapping[str, Any], now: datetime) -> None:
        """Put the start data on the start task and run until people are needed."""
        with clock(now), _run_errors():
            start = self._wf.get_next_task(state=TaskState.READY)
            if start is not None:
                start.data.update(_copy(data))
            self._wf.do_engine_steps()

    def refresh(self, now: datetime) -> None:
        """Fire due timers and run what follows (the library needs two passes for that)."""
        with clock(now), _run_errors():
            self._wf.refresh_timers()
            self._wf.do_engine_steps()
            self._wf.do_engine_steps()

    def is_ready(self, task_id: str) -> bool:
        """Whether the human task is still waiting to be completed."""
        task = self._find(task_id)
        return task is not None and task.state == TaskState.READY

    def complete(self, task_id: str, data: Mapping[str, Any], now: datetime) -> None:
        """Complete a ready human task with form data and run the engine on."""
        task = self._find(task_id)
        if task is None or task.state != TaskState.READY:
            raise EngineRunError("the task is no longer waiting", element=None)
        with clock(now), _run_errors():
            # Replace, never mutate: nested values are shared between tasks' data.
            task.data.update(_copy(data))
            task.run()
            self._wf.do_engine_steps()

    def send_message(self, name: str, payload: Mapping[str, Any], now: datetime) -> bool:
        """Deliver a message by name; False when nothing is waiting for it."""
        event = BpmnEvent(MessageEventDefinition(name), payload=_copy(payload))
        with clock(now), _run_errors():
            if self._wf.event_manager.catch(event, internal=False) == 0:
                return False
            self._wf.do_engine_steps()
        return True

    # -- state -----------------------------------------------------------------

    @property
    def completed(self) -> bool:
        """True when the top process has ended."""
        return bool(self._wf.completed)

    @property
    def data(self) -> dict[str, Any]:
        """The top workflow's data (final data once completed)."""
        if self._wf.completed and self._wf.last_task is not None:
            return dict(self._wf.last_task.data)
        return dict(self._wf.data)

    def ready_human_tasks(self) -> list[ReadyTask]:
        """Every human task that is waiting for a person, subprocesses included."""
        ready = []
        for task in self._wf.get_tasks(state=TaskState.READY, manual=True):
            spec = task.task_spec
            ready.append(
                ReadyTask(
                    id=str(task.id),
                    process_id=task.workflow.spec.name,
                    element_id=spec.bpmn_id,
                    name=spec.bpmn_name or spec.bpmn_id,
                    lane=spec.lane,
                    data=task.data,
                )
            )
        return ready

    def next_timer_at(self) -> datetime | None:
        """When the earliest waiting timer is due, or None."""
        due: list[datetime] = []
        for pending in self._wf.waiting_events():
            if pending.event_type not in {"TimeDateEventDefinition", "DurationTimerEventDefinition",
                                          "CycleTimerEventDefinition"}:
                continue
            value = pending.value
            if isinstance(value, dict):
                value = value.get("next")
            if isinstance(value, str):
                try:
                    instant = datetime.fromisoformat(value)
                except ValueError:
                    continue
                if instant.tzinfo is None:
                    instant = instant.replace(tzinfo=timezone.utc)
                due.append(instant.astimezone(timezone.utc))
        return min(due) if due else None

    def _find(self, task_id: str) -> Any:
        try:
            return self._wf.get_task_from_id(UUID(task_id))
        except (ValueError, KeyError, SpiffWorkflowException):
            return None


@contextmanager
def _run_errors() -> Iterator[None]:
    """Turn the library's run-time failures into :class:`EngineRunError` with the element."""
    try:
        yield
    except ScriptTaskRefused as error:
        raise EngineRunError(str(error)) from None
    except SpiffWorkflowException as error:
        task = getattr(error, "task", None)
        element = getattr(getattr(task, "task_spec", None), "bpmn_id", None)
        inner = error.__context__
        message = error.args[0] if error.args else type(error).__name__
        if isinstance(inner, ExpressionError | ScriptTaskRefused):
            message = f"{message}: {inner}"
        raise EngineRunError(str(message), element=element) from None
    except ExpressionError as error:
        raise EngineRunError(error.message) from None


def _copy(data: Mapping[str, Any]) -> dict[str, Any]:
    # A JSON round trip gives fresh nested objects and keeps only what can be stored.
    result: dict[str, Any] = json.loads(json.dumps(dict(data), default=_json_default))
    return result


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot be stored in process data")
