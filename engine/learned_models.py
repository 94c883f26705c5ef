"""Training and serving the models business rule tasks learn from people's decisions (人机协同).

The worker trains (:func:`retrain`): for each ``learn_*`` task of each process's newest version it
reads the decisions completed since its last training and adds them to the stored counts; a model
that meets a value it has never seen, or whose stored state it cannot read, is rebuilt from the
category catalogue and every decision. Servers only read (:class:`LearnedModels`): a running case
asks for a ranking, and the copy in memory is reloaded when the stored revision changes.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import decision_tables, learning_data, spiff
from engine.expressions import Evaluator
from engine.learned_choices import ChoiceModel, available
from engine.learned_suggestions import Ranking
from engine.learning_plans import LearningPlan
from engine.models import LearnedModel, ProcessDefinition

log = logging.getLogger(__name__)
TOP = 3
TRAIN_EVERY = timedelta(minutes=1)  # the worker sweeps every few seconds; training needs not run as often
MAX_REBUILD = 50_000  # decisions a rebuild reads at most (the newest kept when there are more)

# (element id, plan, case data, what the rules said) -> the model's ranking, or None
Learned = Callable[[str, LearningPlan, Mapping[str, Any], Any], Ranking | None]


@dataclass(frozen=True)
class Trained:
    """What one training did to one model."""

    process_key: str
    element_id: str
    decisions: int  # decisions the model has learned in all
    added: int  # decisions this training added
    rebuilt: bool


@dataclass(frozen=True)
class ModelStatus:
    """What an operator sees of a stored model."""

    process_key: str
    element_id: str
    decisions: int
    classes: int
    trained_at: datetime


def status(session: Session, process: str | None = None) -> list[ModelStatus]:
    """Every stored model (of ``process``), by process and element."""
    query = select(LearnedModel).order_by(LearnedModel.process_key, LearnedModel.element_id)
    if process is not None:
        query = query.where(LearnedModel.process_key == process)
    return [ModelStatus(m.process_key, m.element_id, m.decisions, len(m.state.get("classes") or [])
                        if isinstance(m.state, dict) else 0, m.trained_at) for m in session.execute(query).scalars()]


@dataclass(frozen=True)
class Learner:
    """A learning business rule task of a process's newest version, with its decision table."""

    process_key: str
    element_id: str
    plan: LearningPlan
    decision: str
    dmn: str

    def rules(self, evaluator: Evaluator) -> Callable[[Mapping[str, Any]], Any]:
        """What the table says for a case's data (its ``plan.output``), None when it says nothing or fails."""
        tables, _problems = decision_tables.read(self.dmn.encode(), self.decision, evaluator)
        table = next((t for t in tables if t.id == self.decision), None)

        def ruled(data: Mapping[str, Any]) -> Any:
            if table is None:
                return None
            try:
                result = decision_tables.decide(table, data, evaluator)
            except decision_tables.DecisionError:
                return None
            return result.get(self.plan.output) if isinstance(result, dict) else None

        return ruled


def plans(session: Session) -> list[Learner]:
    """Every learning business rule task in each process's newest version, by process and element."""
    newest = (select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version"))
              .group_by(ProcessDefinition.key).subquery())
    rows = session.execute(select(ProcessDefinition.key, ProcessDefinition.spec).join(
        newest, (newest.c.key == ProcessDefinition.key) & (newest.c.version == ProcessDefinition.version))
        .order_by(ProcessDefinition.key))
    return [Learner(key, element, plan, ref, dmn) for key, spec in rows
            for element, (plan, ref, dmn) in sorted(spiff.learning_plans(spec).items())]


def retrain(session: Session, now: datetime, *, rebuild: bool = False,
            evaluator: Evaluator | None = None) -> list[Trained]:
    """Train every learning task's model on the decisions since its last training (all of them with ``rebuild``)."""
    if not available():
        return []
    done = []
    for learner in plans(session):
        try:
            with session.begin_nested():  # two workers creating one model: the second leaves it to the first
                row = session.execute(select(LearnedModel).where(LearnedModel.process_key == learner.process_key,
                                                                 LearnedModel.element_id == learner.element_id)
                                      .with_for_update()).scalar_one_or_none()
                trained = _train(session, learner, learner.rules(evaluator or Evaluator()), row, now, rebuild)
        except IntegrityError:
            continue
        if trained is not None:
            done.append(trained)
    return done


def _train(session: Session, learner: Learner, rules: Callable[[Mapping[str, Any]], Any], row: LearnedModel | None,
           now: datetime, rebuild: bool) -> Trained | None:
    key, element, plan = learner.process_key, learner.element_id, learner.plan
    new = learning_data.recorded(session, key, plan, after_event=0 if row is None else row.through_event_id,
                                 rules=rules)
    if row is not None and not new and not rebuild:
        return None
    model = None if row is None or rebuild else _readable(row.state)
    if model is not None and model.knows(e.label for _id, e in new):
        model.learn([e for _id, e in new])
        decisions, through, rebuilt = row.decisions + len(new), new[-1][0] if new else row.through_event_id, False
    else:  # a first training, a new value, a state of another version: start again from everything
        everything = learning_data.recorded(session, key, plan, limit=MAX_REBUILD, rules=rules)
        start = learning_data.catalogue(session, plan)
        model = ChoiceModel({e.label for e in start} | {e.label for _id, e in everything})
        model.learn(start)
        model.learn([e for _id, e in everything])
        decisions, through, rebuilt = len(everything), everything[-1][0] if everything else 0, True
    if row is None:
        row = LearnedModel(process_key=key, element_id=element, revision=0)
        session.add(row)
    row.state, row.decisions, row.through_event_id = model.state(), decisions, through
    row.revision, row.trained_at = row.revision + 1, now
    session.flush()
    log.info("learned model %s/%s: %d decision(s), %d new%s", key, element, decisions, len(new),
             " (rebuilt)" if rebuilt else "")
    return Trained(key, element, decisions, len(new), rebuilt)


def _readable(state: Mapping[str, Any]) -> ChoiceModel | None:
    try:
        return ChoiceModel.from_state(state)
    except (ValueError, TypeError, KeyError) as error:
        log.warning("a stored model cannot be read (%s); it is rebuilt", error)
        return None


@dataclass
class LearnedModels:
    """A server's copies of the stored models, reloaded when their revision changes; off when ``enabled`` is false."""

    enabled: bool = True
    _trained_at: datetime | None = field(default=None, repr=False)
    _copies: dict[tuple[str, str], tuple[int, ChoiceModel | None]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def training_due(self, now: datetime) -> bool:
        """Whether the worker should train now (at most every TRAIN_EVERY; never when learning is off)."""
        if not self.enabled or not available():
            return False
        if self._trained_at is not None and self._trained_at <= now < self._trained_at + TRAIN_EVERY:
            return False
        self._trained_at = now
        return True

    def for_process(self, session: Session, process_key: str) -> Learned | None:
        """What a run of ``process_key`` asks for rankings; None when learning is off or not installed."""
        if not self.enabled or not available():
            return None

        def learned(element_id: str, plan: LearningPlan, data: Mapping[str, Any], ruled: Any = None
                    ) -> Ranking | None:
            found = session.execute(select(LearnedModel.id, LearnedModel.revision, LearnedModel.decisions).where(
                LearnedModel.process_key == process_key, LearnedModel.element_id == element_id)).first()
            if found is None:
                return None  # not trained yet: the rules alone suggest
            model = self._copy(session, (process_key, element_id), found.id, found.revision)
            if model is None:
                return None
            choices = model.rank(learning_data.example_of(plan, data, ruled=ruled), TOP)
            return Ranking(tuple(choices), found.decisions) if choices else None

        return learned

    def _copy(self, session: Session, key: tuple[str, str], row_id: int, revision: int) -> ChoiceModel | None:
        with self._lock:
            kept = self._copies.get(key)
        if kept is not None and kept[0] == revision:
            return kept[1]
        state = session.execute(select(LearnedModel.state).where(LearnedModel.id == row_id)).scalar_one()
        model = _readable(state)
        with self._lock:
            self._copies[key] = (revision, model)
        return model
