"""Who hears that a case cannot go on: the designer who deployed its version, else every active designer."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import incidents
from engine.hooks import HookEvent, Listeners, TaskHook
from engine.models import Incident, ProcessDefinition, User
from engine.roles import Capability, role_book
from escalation.config import Escalation
from escalation.ladder import members
from escalation.notify import Message

# {reason} is the incident's own reason, stored as {"$text": template, "params": ...} and translated when shown.
TEMPLATE = "Case {case} cannot go on by itself: {reason}"


def register(listeners: Listeners, esc: Escalation) -> None:
    """Tell the process's designer when an incident opens; a withdrawn case's incidents are over."""
    listeners.on(TaskHook.INCIDENT_OPENED, lambda session, event: incident_opened(session, esc, event))
    listeners.on(TaskHook.INSTANCE_WITHDRAWN, withdrawn)


def withdrawn(session: Session, event: HookEvent) -> None:
    """Nothing is left to repair in a withdrawn case."""
    incidents.resolve(session, event.instance.id, now=event.at, resolution="the case was withdrawn",
                      actor_id=event.actor_id)


def incident_opened(session: Session, esc: Escalation, event: HookEvent) -> None:
    """One notice per designer; counting the same incident once more tells nobody again."""
    incident = session.get(Incident, event.incident_id) if event.incident_id is not None else None
    if incident is None:
        return
    instance = event.instance
    deployer = session.execute(
        select(User).join(ProcessDefinition, ProcessDefinition.deployed_by_id == User.id)
        .where(ProcessDefinition.id == instance.definition_id, User.is_active.is_(True))
    ).scalar_one_or_none()
    designers = role_book(session).with_capability(Capability.DESIGN)
    people = [deployer] if deployer is not None else members(session, designers, None)
    params = {"case": instance.title, "case_id": instance.id, "incident_id": incident.id, "kind": incident.kind,
              "reason": {"$text": incident.template, "params": dict(incident.params or {})}}
    esc.notifier.send(session, [Message(user.id, "incident", TEMPLATE, params, instance.id)
                                for user in sorted(people, key=lambda u: u.id)], event.at)
