"""One loaded workflow: start it, fire timers, complete tasks, deliver messages, dump it."""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from engine.decision_tables import DecisionError
from engine.errors import Text
from engine.expression_limits import ActionBudget
from engine.expressions import Evaluator, ExpressionError, unwrap
from engine.spiff.clock import clock
from engine.spiff.loops import LoopBoundExceeded, run_guard
from engine.spiff.scripts import SafeScriptEngine, ScriptTaskRefused
from engine.spiff.storage import Specs, serializer

log = logging.getLogger(__name__)
_TIMER_EVENTS = frozenset({"TimeDateEventDefinition", "DurationTimerEventDefinition", "CycleTimerEventDefinition"})


class EngineRunError(Exception):
    """The workflow failed while running (a condition, a timer, a missing variable).

    ``message`` is a :class:`Text` when the cause is one of ours (a refused expression, a
    loop over its bound), so the designer reads it translated.
    """

    def __init__(self, message: str | Text, element: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.element = element


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
        engine = SafeScriptEngine(evaluator, allow_scripts)
        with _run_errors():
            return cls(BpmnWorkflow(specs.top, specs.subprocesses, script_engine=engine))

    @classmethod
    def load(cls, specs: Specs, state: str, evaluator: Evaluator, allow_scripts: bool) -> WorkflowRun:
        """Restore a stored workflow and re-attach the safe script engine (it is not stored)."""
        codec = serializer()
        dct = json.loads(state)
        codec.migrate(dct)
        workflow = codec.from_dict(dct, spec=specs.top, subprocess_specs=specs.subprocesses)
        workflow.script_engine = SafeScriptEngine(evaluator, allow_scripts)
        return cls(workflow)

    def learn_from(self, learned: Callable[..., Any] | None) -> WorkflowRun:
        """Let business rule tasks ask ``learned`` for rankings (None: the rules alone decide)."""
        self._wf.script_engine.environment.learned = learned
        return self

    def dump(self) -> str:
        """The workflow state as JSON, without the specs (those are stored once per version)."""
        codec = serializer()
        dct = codec.to_dict(self._wf)
        dct.pop("spec", None)
        dct.pop("subprocess_specs", None)
        dct[codec.VERSION_KEY] = codec.VERSION
        return json.dumps(dct, ensure_ascii=False, separators=(",", ":"), default=_json_default)

    # -- actions ----------------------------------------------------------------

    def start(self, data: Mapping[str, Any], now: datetime) -> None:
        """Put the start data on the start task and run until people are needed."""
        with clock(now), _run_errors(), self._action() as guard:
            start = self._wf.get_next_task(state=TaskState.READY)
            if start is not None:
                start.data.update(_copy(data))
            self._wf.do_engine_steps(will_complete_task=guard)

    def refresh(self, now: datetime) -> None:
        """Fire due timers and run what follows (the library needs two passes for that)."""
        with clock(now), _run_errors(), self._action() as guard:
            self._wf.refresh_timers()
            self._wf.do_engine_steps(will_complete_task=guard)
            self._wf.do_engine_steps(will_complete_task=guard)

    def is_ready(self, task_id: str) -> bool:
        """Whether the human task is still waiting to be completed."""
        task = self._find(task_id)
        return task is not None and task.state == TaskState.READY

    def complete(self, task_id: str, data: Mapping[str, Any], now: datetime) -> None:
        """Complete a ready human task with form data and run the engine on."""
        task = self._find(task_id)
        if task is None or task.state != TaskState.READY:
            raise EngineRunError("the task is no longer waiting", element=None)
        with clock(now), _run_errors(), self._action() as guard:
            # Replace, never mutate: nested values are shared between tasks' data.
            task.data.update(_copy(data))
            task.run()
            self._wf.do_engine_steps(will_complete_task=guard)

    def send_message(self, name: str, payload: Mapping[str, Any], now: datetime) -> bool:
        """Deliver a message by name; False when nothing is waiting for it."""
        event = BpmnEvent(MessageEventDefinition(name), payload=_copy(payload))
        with clock(now), _run_errors(), self._action() as guard:
            if self._wf.event_manager.catch(event, internal=False) == 0:
                return False
            self._wf.do_engine_steps(will_complete_task=guard)
        return True

    def cancel(self, now: datetime) -> None:
        """End the workflow where it stands: every unfinished task is cancelled, nothing more runs."""
        with clock(now), _run_errors():
            self._wf.cancel()

    @contextmanager
    def _action(self) -> Iterator[Callable[[Any], None]]:
        """One action's budget: shared by its evaluations, charged by each engine step (via the guard)."""
        environment = self._wf.script_engine.environment
        environment.action = ActionBudget(environment.evaluator.limits)
        try:
            yield run_guard(self._wf, environment.action)
        finally:
            environment.action = None

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

    def element_states(self) -> dict[str, dict[str, int]]:
        """For each BPMN element the run reached: how many of its tasks are done and how many wait."""
        states: dict[str, dict[str, int]] = {}
        for task in self._wf.get_tasks():
            element = getattr(task.task_spec, "bpmn_id", None)
            if not element:
                continue
            if task.state == TaskState.COMPLETED:
                kind = "completed"
            elif task.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED):
                kind = "active"
            else:
                continue
            counts = states.setdefault(element, {"completed": 0, "active": 0})
            counts[kind] += 1
        return states

    def next_timer_at(self) -> datetime | None:
        """When the earliest waiting timer is due, or None."""
        due: list[datetime] = []
        for element, pending in self._waiting():
            if pending.event_type not in _TIMER_EVENTS:
                continue
            instant = _timer_instant(pending.value)
            if instant is None:
                # Skipped here, but not silently: the sweep reads unreadable_timers() and opens an incident.
                log.warning("timer at %s has a value that cannot be read: %r", element, pending.value)
                continue
            due.append(instant)
        return min(due) if due else None

    def unreadable_timers(self) -> list[tuple[str | None, str]]:
        """Waiting timers whose due instant cannot be read, as (element, value as stored)."""
        found: list[tuple[str | None, str]] = []
        for element, pending in self._waiting():
            if pending.event_type in _TIMER_EVENTS and _timer_instant(pending.value) is None:
                found.append((element, repr(pending.value)[:200]))
        return found

    def _waiting(self) -> Iterator[tuple[str | None, Any]]:
        """Each event the workflow waits to catch, with the element that waits for it."""
        for task in list(self._wf.event_manager.tasks.values()):
            yield getattr(task.task_spec, "bpmn_id", None), task.task_spec.event_definition.details(task)

    def waits_for_something(self) -> bool:
        """Whether anything can still move the workflow: a ready task or an event it waits to catch."""
        if self._wf.completed:
            return False
        if self._wf.get_next_task(state=TaskState.READY) is not None:  # stops at the first
            return True
        # Timers, messages, signals, conditions: whatever the event manager would deliver.
        return bool(self._wf.waiting_events())

    def stuck_at(self) -> list[str]:
        """The elements where a workflow that waits for nothing stands, best first.

        Failed or waiting elements (a join whose other branch never comes) first, else the
        completed elements nothing follows (a dead end), else the last completed one.
        """
        halted, dead_ends = [], []
        for task in self._wf.get_tasks():
            element = getattr(task.task_spec, "bpmn_id", None)
            if not element:
                continue
            if task.state in (TaskState.ERROR, TaskState.WAITING, TaskState.STARTED):
                halted.append(element)
            elif task.state == TaskState.COMPLETED and not task.children:
                dead_ends.append(element)
        found = list(dict.fromkeys(halted or dead_ends))
        if not found:
            last = getattr(getattr(self._wf.last_task, "task_spec", None), "bpmn_id", None)
            found = [last] if last else []
        return found

    def element_name(self, element_id: str) -> str | None:
        """The name the designer gave an element (gateways too), or None."""
        for spec in (self._wf.spec, *self._wf.subprocess_specs.values()):
            for task_spec in spec.task_specs.values():
                if getattr(task_spec, "bpmn_id", None) == element_id:
                    return getattr(task_spec, "bpmn_name", None) or None
        return None

    def _find(self, task_id: str) -> Any:
        try:
            return self._wf.get_task_from_id(UUID(task_id))
        except (ValueError, KeyError, SpiffWorkflowException):
            return None


def _timer_instant(value: Any) -> datetime | None:
    """A waiting timer's due instant in UTC, or None when its stored value is not one."""
    if isinstance(value, dict):
        value = value.get("next")
    if not isinstance(value, str):
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        return None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)


@contextmanager
def _run_errors() -> Iterator[None]:
    """Turn the library's run-time failures into :class:`EngineRunError` with the element."""
    try:
        yield
    except ScriptTaskRefused as error:
        raise EngineRunError(str(error)) from None
    except LoopBoundExceeded as error:
        raise EngineRunError(error.reason, element=_element_of(error)) from None
    except SpiffWorkflowException as error:
        element = _element_of(error)
        inner = error.__context__
        if isinstance(inner, DecisionError):
            raise EngineRunError(Text(inner.template, inner.params), element=element) from None
        if isinstance(inner, ExpressionError):
            raise EngineRunError(Text("the expression {expression} failed: {reason}", {
                "expression": _short(unwrap(inner.expression)), "reason": Text(inner.template, inner.params)}),
                element=element) from None
        message = error.args[0] if error.args else type(error).__name__
        if isinstance(inner, ScriptTaskRefused):
            message = f"{message}: {inner}"
        raise EngineRunError(str(message), element=element) from None
    except ExpressionError as error:
        raise EngineRunError(Text(error.template, error.params)) from None


def _element_of(error: SpiffWorkflowException) -> str | None:
    task = getattr(error, "task", None)
    return getattr(getattr(task, "task_spec", None), "bpmn_id", None)


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


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
