"""Repairing a loaded workflow: where its tokens stand, moving one, setting data, re-running, migrating.

These are the operator's tools (engine.repair, engine.case_migration call them); they reach
into the library's task tree, so they live in the adapter next to :class:`WorkflowRun`.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from engine.spiff.clock import clock
from engine.spiff.run import EngineRunError, WorkflowRun, _copy, _run_errors
from engine.spiff.storage import Specs, serializer

# States in which a task is where the case stands (FUTURE and the predicted ones are not yet).
_LIVE = {TaskState.READY: "ready", TaskState.WAITING: "waiting", TaskState.STARTED: "started",
         TaskState.ERROR: "error"}


@dataclass(frozen=True)
class Token:
    """One place a case stands: an unfinished task, or a completed one nothing follows (a dead end)."""

    id: str
    process_id: str
    element_id: str
    name: str
    state: str
    data: Mapping[str, Any] = field(repr=False)


@dataclass(frozen=True)
class ElementMap:
    """How one element where a case stands fares in another version."""

    process_id: str
    element_id: str
    target: str | None  # the element it maps to, None when it has no counterpart
    done: bool = False  # a step of the case's history, not where it stands now

    @property
    def maps(self) -> bool:
        """Whether the element has a counterpart."""
        return self.target is not None


@dataclass(frozen=True)
class MigrationPlan:
    """What a migration would do to one workflow."""

    elements: list[ElementMap]
    missing_processes: list[str]  # called processes the case runs that the new version lacks

    @property
    def possible(self) -> bool:
        """Every element where the case stands maps and every running called process exists."""
        return not self.missing_processes and all(e.maps for e in self.elements)


class MoveRefused(Exception):
    """A token cannot be moved as asked; ``reason`` says why in English, with ``params``."""

    def __init__(self, reason: str, **params: Any) -> None:
        super().__init__(reason.format(**params))
        self.reason = reason
        self.params = params


def tokens(run: WorkflowRun) -> list[Token]:
    """Every place the workflow stands, subprocesses included, in tree order."""
    found = []
    for task in run._wf.get_tasks():  # the adapter's own workflow: this module is part of the adapter
        element = _element(task)
        if element is None:
            continue
        state = _LIVE.get(task.state)
        if state is None and task.state == TaskState.COMPLETED and not task.children \
                and not task.workflow.completed:
            state = "dead_end"
        if state is None:
            continue
        found.append(Token(str(task.id), task.workflow.spec.name, element,
                           task.task_spec.bpmn_name or element, state, task.data))
    return found


def elements(run: WorkflowRun, process_id: str) -> list[tuple[str, str]]:
    """The (id, name) of the elements a token may move to in one of the workflow's processes."""
    spec = _process_spec(run, process_id)
    if spec is None:
        return []
    return sorted((s.bpmn_id, s.bpmn_name or s.bpmn_id) for s in spec.task_specs.values() if _movable_spec(s))


def set_variables(run: WorkflowRun, values: Mapping[str, Any]) -> None:
    """Set top-level case variables on every place the workflow stands (and on the workflow itself)."""
    fresh = _copy(values)
    run._wf.data.update(_copy(fresh))
    for task in run._wf.get_tasks():
        if task.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED, TaskState.ERROR) or (
                task.state == TaskState.COMPLETED and not task.children):
            # Replace, never mutate: nested values are shared between tasks' data.
            task.data.update(_copy(fresh))


def retry(run: WorkflowRun, now: datetime) -> None:
    """Fire due timers and run the engine on, whether or not anything looks due."""
    with clock(now), _run_errors(), run._action() as guard:
        for task in run._wf.get_tasks(state=TaskState.ERROR):
            # A step that failed before is tried again from its start.
            task._set_state(TaskState.READY)
        run._wf.refresh_timers()
        run._wf.do_engine_steps(will_complete_task=guard)
        run._wf.do_engine_steps(will_complete_task=guard)


def move(run: WorkflowRun, token_id: str, element_id: str, now: datetime) -> Token:
    """Cancel the work at the token and start ``element_id`` in its place (same process); returns the token."""
    wf = run._wf
    token = next((t for t in tokens(run) if t.id == token_id), None)
    if token is None:
        raise MoveRefused("The case does not stand at {token}.", token=token_id[:64])
    task = run._find(token_id)
    spec = task.workflow.spec.task_specs.get(element_id)
    if spec is None or not _movable_spec(spec):
        raise MoveRefused("{element} is not a step of {process}.", element=element_id[:200], process=token.process_id)
    entry = _entry(spec)
    with clock(now), _run_errors(), run._action() as guard:
        if token.state == "dead_end":
            anchor = task
        else:
            # A task with boundary events goes with them (and their timers): its split is replaced whole.
            host = task.parent if isinstance(task.parent.task_spec, BoundaryEventSplit) else task
            anchor = host.parent
            for below in [t for t in host if t.id in wf.subprocesses]:
                wf.delete_subprocess(below)
            host.workflow._remove_task(host.id)
            _forget_removed(wf)
        moved = anchor._add_child(entry, TaskState.FUTURE)
        # As the library's own reset does: predict what follows, then let the task become ready.
        entry._predict(moved, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE)
        entry._update(moved)
        wf.do_engine_steps(will_complete_task=guard)
        wf.do_engine_steps(will_complete_task=guard)
    return token


def plan_migration(run: WorkflowRun, specs: Specs) -> MigrationPlan:
    """Which elements where the workflow stands (matched by id) and in its history exist in ``specs``.

    A step already done may map by structure (SpiffWorkflow's alignment) to a renamed element; one
    with no counterpart at all cannot be carried over, because the stored history names it.
    """
    top, subs = diff_workflow(serializer().registry, run._wf, specs.top, specs.subprocesses)
    elements: dict[tuple[str, str, bool], ElementMap] = {}
    missing: list[str] = []
    diffs = [(run._wf, top)] + [(run._wf.subprocesses[sp_id], diff) for sp_id, diff in subs.items()]
    for workflow, diff in diffs:
        name = workflow.spec.name
        if diff is None:
            if name not in missing:
                missing.append(name)
            continue
        removed = {t.id for t in diff.removed}
        for task in workflow.get_tasks(skip_subprocesses=True):
            element = _element(task)
            live = task.state in _LIVE or (task.state == TaskState.COMPLETED and not task.children
                                          and not workflow.completed)
            if not live and task.id in removed and task.state == TaskState.COMPLETED:
                shown = element or str(getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name)
                elements.setdefault((name, shown, True), ElementMap(name, shown, None, done=True))
            elif live and element is not None:
                aligned = None if task.id in removed else diff.alignment.get(task)
                target = aligned.bpmn_id if aligned is not None and aligned.bpmn_id == element else None
                elements.setdefault((name, element, False), ElementMap(name, element, target))
    return MigrationPlan(list(elements.values()), missing)


def migrate(run: WorkflowRun, specs: Specs, now: datetime) -> MigrationPlan:
    """Put the workflow on ``specs``; refused (EngineRunError) unless every element where it stands maps."""
    plan = plan_migration(run, specs)
    if not plan.possible:
        raise EngineRunError("the case cannot be mapped onto the new version")
    wf = run._wf
    top, subs = diff_workflow(serializer().registry, wf, specs.top, specs.subprocesses)
    # Waiting timers keep their due instants: a migration must not restart a running clock.
    kept = {t.id: dict(t.internal_data) for t in wf.get_tasks(state=TaskState.WAITING)}
    with clock(now), _run_errors(), run._action() as guard:
        migrate_workflow(top, wf, specs.top)
        for sp_id, diff in subs.items():
            sub = wf.subprocesses[sp_id]
            if diff is not None:
                migrate_workflow(diff, sub, specs.subprocesses[sub.spec.name])
        wf.subprocess_specs = specs.subprocesses
        _forget_removed(wf)
        for task in wf.get_tasks(state=TaskState.WAITING):
            if task.id in kept:
                task.internal_data.update(kept[task.id])
        wf.do_engine_steps(will_complete_task=guard)
    return plan


def _forget_removed(wf: Any) -> None:
    """Drop waiting events of tasks no longer in the tree (the library forgets them only when they fire)."""
    live = [wf, *wf.subprocesses.values()]
    for waiting in list(wf.event_manager.tasks.values()):
        if not any(waiting.workflow is w for w in live) or waiting.id not in waiting.workflow.tasks:
            wf.event_manager.remove_task(waiting)


def _element(task: Any) -> str | None:
    spec = task.task_spec
    element = getattr(spec, "bpmn_id", None)
    # The library's own helper specs (start, end joins, multi-instance children) are no elements.
    if not element or spec.name != element:
        return None
    return str(element)


def _movable_spec(spec: Any) -> bool:
    # Not a boundary event (it belongs to its task) nor what nothing flows into (an event subprocess).
    return (bool(getattr(spec, "bpmn_id", None)) and spec.name == spec.bpmn_id and bool(spec.inputs)
            and not isinstance(spec, BoundaryEvent))


def _entry(spec: Any) -> Any:
    """What to start for an element: a task with boundary events starts at their split, so they are armed."""
    if len(spec.inputs) == 1 and isinstance(spec.inputs[0], BoundaryEventSplit):
        return spec.inputs[0]
    return spec


def _process_spec(run: WorkflowRun, process_id: str) -> Any:
    if run._wf.spec.name == process_id:
        return run._wf.spec
    return run._wf.subprocess_specs.get(process_id)
