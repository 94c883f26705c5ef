"""议事协商 on the public site: proposals anyone may read; comments and one vote per verified resident.

Reading needs no sign-in. Commenting and voting need a signed-in resident of the proposal's
community while its comment period runs; the engine checks both (engine/consultations.py).
"""
from __future__ import annotations

from flask import Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine import consultations, definitions
from engine.consultations import Consultation
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from web.db import now, read_session, services, write
from web.forms import fields_for
from web.i18n import translate


def configured() -> Consultation:
    """The site's consultation (the first pack with a consultation.yaml); NotFound when none."""
    found = services().consultations
    if not found:
        raise NotFound("No community consultation runs on this site.")
    return found[0]


def proposals() -> str:
    """The newest proposals, open ones marked."""
    cfg = configured()
    return render_template("public/proposals.html", rows=consultations.proposals(read_session(), cfg))


def proposal(instance_id: int) -> str:
    """One proposal: what is proposed, the tally, the comments, the decision and the work's progress."""
    cfg = configured()
    found = consultations.proposal(read_session(), services().ctx, cfg, instance_id)
    actor = g.get("actor")
    mine = consultations.voted(read_session(), actor.user_id, instance_id) if actor else None
    return render_template("public/proposal.html", p=found, cfg=cfg, mine=mine, signed_in=actor is not None,
                           decision=decision_read(cfg, found.decision))


def decision_read(cfg: Consultation, values: dict[str, object]) -> list[tuple[str, str]]:
    """(label, value as read) of the decision's fields, from the decision form (its choices' names)."""
    session = read_session()
    definition = definitions.get(session, cfg.process)
    schema = services().ctx.parts(session, definition.id).form(cfg.decision_form) or {}
    by_name = {f.name: f for f in fields_for(schema, values=dict(values))}
    shown = []
    for name in cfg.decision_fields:
        f = by_name.get(name)
        if f is not None and name in values:
            shown.append((f.label, next((o.label for o in f.options if o.value == str(values[name])),
                                        str(values[name]))))
    return shown


def vote(instance_id: int) -> Response:
    """Cast the signed-in resident's vote."""
    return _act(instance_id, lambda s, cfg, user: consultations.vote(
        s, services().ctx, cfg, user, instance_id, request.form.get("choice", "")[:32], now=now()),
        _("Your vote is counted."))


def comment(instance_id: int) -> Response:
    """Add the signed-in resident's comment."""
    return _act(instance_id, lambda s, cfg, user: consultations.comment(
        s, services().ctx, cfg, user, instance_id, request.form.get("body", "")[:2000], now=now()),
        _("Your comment is published (without your name)."))


def _act(instance_id: int, action: object, done: str) -> Response:
    cfg = configured()
    actor = g.get("actor")
    if actor is None:
        return redirect(url_for("auth.login", next=url_for("public.proposal", instance_id=instance_id)))
    try:
        write(lambda s: action(s, cfg, actor.user_id))  # type: ignore[operator]
    except (InvalidInput, Conflict, Forbidden) as refused:
        read_session().rollback()
        flash(translate(refused.template, refused.params), "error")
    else:
        flash(done, "success")
    return redirect(url_for("public.proposal", instance_id=instance_id))
