"""Changing a running whistle from the street: summoning one more department (追加召集部门).

The process does the work: its event subprocess waits for the message named here and runs
one more department branch, and the whistle closes only when that branch ends too. This
module holds the street's rules around it (who may, whom, why), so they hold for the page,
the API and any other entry point alike. Practice code: it moves into the whistle's pack later.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from engine import audit, instances
from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from engine.models import InstanceStatus, ProcessInstance
from engine.whistle_rules import ADD_DEPARTMENT_MESSAGE, PROCESS_KEY, summon_errors
from engine.withdrawal import start_role

ADD_MESSAGE = ADD_DEPARTMENT_MESSAGE
REASON_MIN, REASON_MAX = 2, 500


def add_department(session: Session, ctx: EngineContext, actor: Actor, instance_id: int, code: str, reason: str,
                   *, now: datetime) -> ProcessInstance:
    """Summon ``code`` to a running whistle of the actor's street, with a reason everyone on the case reads.

    NotFound unless the whistle is the actor's street's; Forbidden for its leaders (officers summon);
    Conflict when the case is closed or its version cannot take more departments; InvalidInput for
    a department that is not a district department or still works on it, or a missing reason.
    """

    def admit(instance: ProcessInstance) -> None:
        street = instance.origin_department_id
        starter = start_role(ctx, session, instance)
        starts_here = starter is not None and actor.has_role(starter.code, street)
        may_see = starts_here or (starter is not None and actor.heads(starter.code, street))
        if instance.process_key != PROCESS_KEY or not may_see:
            raise NotFound("Case {id} not found.", id=instance_id)
        if not starts_here:
            raise Forbidden("Only the street's duty officers may summon another department.")
        if instance.status != InstanceStatus.RUNNING:
            raise Conflict("Case {id} is {status}; it can no longer change.", id=instance_id,
                           status=instance.status.value)

    with instances.mutate(session, ctx, instance_id, now, admit) as mutation:
        text = reason.strip() if isinstance(reason, str) else ""
        errors = summon_errors(session, instance_id, code, "department")
        if not REASON_MIN <= len(text) <= REASON_MAX:
            errors.append(FieldError("reason", "Between {low} and {high} characters.", "length",
                                     {"low": REASON_MIN, "high": REASON_MAX}))
        if errors:
            raise InvalidInput("The form has errors.", errors)
        if not mutation.run.send_message(ADD_MESSAGE, {"department": code, "reason": text}, now):
            # A version deployed before the street could add departments has nothing waiting.
            raise Conflict("Case {id} runs a version of the process that cannot summon more departments.",
                           id=instance_id)
        audit.record(session, "department_added", at=now, instance_id=instance_id, actor_id=actor.user_id,
                     department_id=mutation.instance.origin_department_id,
                     payload={"department": code, "reason": text})
    return mutation.instance
