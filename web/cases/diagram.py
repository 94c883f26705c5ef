"""The case page's diagram: the case's own definition version and which of its elements are done or waiting."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine.actors import Actor
from engine.cases import element_states
from engine.context import EngineContext
from engine.models import ProcessDefinition, ProcessInstance


def case_diagram(session: Session, ctx: EngineContext, actor: Actor, instance_id: int) -> dict[str, Any]:
    """BPMN XML and element states of a case the actor may see (NotFound otherwise)."""
    states = element_states(session, ctx, actor, instance_id)  # checks visibility first
    instance = session.get(ProcessInstance, instance_id)  # already in the identity map: no second query
    assert instance is not None
    definition = session.get(ProcessDefinition, instance.definition_id)
    assert definition is not None
    return {"key": definition.key, "version": definition.version, "xml": definition.bpmn.decode("utf-8"),
            "states": states}
