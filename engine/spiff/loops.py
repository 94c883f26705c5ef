"""Multi-instance activities and loops with a bounded count.

SpiffWorkflow creates every instance of a parallel multi-instance activity at once, from a
cardinality expression or an input collection the case data supplies, and repeats a
standard loop while its condition holds. Either can start far more tasks than a worker can
hold (``loopCardinality`` 100000). These subclasses check the count against the bound the
script engine carries before any instance exists, and fail the step on the element.

They are registered in :func:`engine.spiff.storage.serializer` under the library's own type
names, so specs stored before the bound existed are restored bounded too.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sized
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.defaults import (
    ParallelMultiInstanceTask,
    SequentialMultiInstanceTask,
    StandardLoopTask,
)
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask

from engine.errors import Text
from engine.expression_limits import ActionBudget
from engine.expressions import MAX_MULTI_INSTANCE, ExpressionError


class LoopBoundExceeded(WorkflowTaskException):
    """A multi-instance activity or loop would start more instances than allowed."""

    def __init__(self, task: Any, refusal: ExpressionError) -> None:
        super().__init__(refusal.message, task=task)
        self.reason = Text(refusal.template, refusal.params)


def _bound(task: Any) -> int:
    """The bound the workflow's script engine carries (the library default engine has none)."""
    return int(getattr(task.workflow.script_engine, "max_instances", MAX_MULTI_INSTANCE))


def _instance_count(spec: MultiInstanceTask, task: Any) -> Any:
    """How many instances ``spec`` is about to start: the collection's length or the cardinality."""
    if spec.data_input is not None:
        if not spec.data_input.exists(task):
            return None  # the library reports the missing collection itself
        collection = spec.data_input.get(task)
        return len(collection) if isinstance(collection, Sized) else None
    return task.workflow.script_engine.evaluate(task, spec.cardinality)


def check_instance_count(task: Any, count: Any) -> None:
    """Refuse a count that is no whole number, or one above the bound."""
    if count is None:
        return
    limit = _bound(task)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise LoopBoundExceeded(task, ExpressionError(
            "the multi-instance count {count} is not a whole number of at least 0", count=str(count)[:50]))
    if count > limit:
        raise LoopBoundExceeded(task, ExpressionError("the multi-instance count {count} is above the limit of {limit} "
                                                      "(WHISTLE_MAX_MULTI_INSTANCE)", count=count, limit=limit))


class BoundedParallelMultiInstanceTask(ParallelMultiInstanceTask):
    """A parallel multi-instance activity that checks its count before creating its instances."""

    def create_children(self, my_task: Any) -> None:
        # The task has its data by now; the cardinality is evaluated once more by the library (cheap, bounded).
        check_instance_count(my_task, _instance_count(self, my_task))
        super().create_children(my_task)


class BoundedSequentialMultiInstanceTask(SequentialMultiInstanceTask):
    """A sequential multi-instance activity that checks its count before the first instance."""

    def add_next_child(self, my_task: Any) -> None:
        if not my_task.internal_data.get("merged"):  # the first instance: the count was just worked out
            if self.data_input is not None:
                check_instance_count(my_task, len(my_task.internal_data.get("remaining", [])))
            else:
                check_instance_count(my_task, my_task.internal_data.get("cardinality"))
        super().add_next_child(my_task)


class BoundedStandardLoopTask(StandardLoopTask):
    """A standard loop that stops with an error instead of repeating past the bound."""

    def _update_hook(self, my_task: Any) -> Any:
        limit = _bound(my_task)
        if self.maximum is not None and self.maximum > limit:
            raise LoopBoundExceeded(my_task, ExpressionError("loopMaximum {count} is above the limit of {limit} "
                                                             "(WHISTLE_MAX_MULTI_INSTANCE)",
                                                             count=self.maximum, limit=limit))
        return super()._update_hook(my_task)

    def loop_complete(self, my_task: Any) -> bool:
        if super().loop_complete(my_task):
            return True
        limit = _bound(my_task)
        if len(my_task.internal_data.get("merged", [])) >= limit:
            raise LoopBoundExceeded(my_task, ExpressionError("the loop ran {limit} times and its condition still holds "
                                                             "(WHISTLE_MAX_MULTI_INSTANCE)", limit=limit))
        return False


def run_guard(workflow: Any, action: ActionBudget) -> Callable[[Any], None]:
    """A check called before each engine step of one action: charge ``action``, refuse an element that keeps running.

    A cycle of gateways and events with no task in it never waits for anyone; the library
    would run it until its task tree is too deep to walk (about 500 rounds, seconds of work,
    megabytes of state) and then stall the case without a word. Within one action no element
    runs more often than a multi-instance activity may start instances, plus some slack.
    """
    limit = 2 * int(getattr(workflow.script_engine, "max_instances", MAX_MULTI_INSTANCE)) + 10
    runs: Counter[tuple[str, str]] = Counter()

    def guard(task: Any) -> None:
        try:
            action.charge()  # the action's deadline, checked between steps that evaluate nothing
        except ExpressionError as error:
            raise LoopBoundExceeded(task, error) from None
        key = (task.workflow.spec.name, task.task_spec.name)
        runs[key] += 1
        if runs[key] > limit:
            raise LoopBoundExceeded(task, ExpressionError(
                "{element} ran {count} times in one step without waiting for anyone: a loop needs a task or a timer",
                element=task.task_spec.bpmn_id or task.task_spec.name, count=limit))

    return guard


# Library class -> bounded class restored in its place.
BOUNDED_CLASSES: dict[type, type] = {
    ParallelMultiInstanceTask: BoundedParallelMultiInstanceTask,
    SequentialMultiInstanceTask: BoundedSequentialMultiInstanceTask,
    StandardLoopTask: BoundedStandardLoopTask,
}
