"""表达诉求 on the public site: report a problem, get a tracking number, follow it, read the reply, rate it.

No sign-in. A resident proves a demand is theirs with its tracking number and phone number; the
codes they proved are kept in their browser's session, so the progress page of any other code is
a 404 for them. Every post is rate limited per address (web/public/limits.py); the report form
also asks for the captcha.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from engine import attachments, catalog, definitions, public_demands
from engine.errors import Conflict, FieldError, InvalidInput, NeedsConfirmation, NotFound, Unavailable
from engine.public_channels import PublicChannel
from engine.roles import Capability
from web.db import now, read_session, services, write
from web.forms import Field, Option, fields_for, parse
from web.i18n import translate
from web.public import captcha
from web.street.attachments import store_uploads

log = logging.getLogger(__name__)
# What a resident reads when the channel cannot take their post (its account or process is not set up).
CLOSED = ("Online requests cannot be taken in right now. What you typed is still here: try again later, or "
          "call the 12345 hotline or go to a service window.")
TRACKED = "public_tracked"  # tracking codes this browser proved, newest last
MAX_TRACKED = 20
CONFIRM = "confirmed"


def channel() -> PublicChannel:
    """The public site's channel: the first pack with a public.yaml; 404 when no pack has one."""
    found = services().public
    if not found:
        abort(404)
    return found[0]


def captcha_image() -> Response:
    """A new captcha as a PNG, never cached."""
    response = Response(captcha.new_image(), mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response


def new() -> str | Response | tuple[str, int]:
    """The report form; on POST, the captcha, then the intake's own checks, then the tracking number."""
    chosen = channel()
    schema = public_demands.start_form(read_session(), services().ctx, chosen)
    if request.method == "GET":
        return _page(chosen, schema, {}, [])
    data = parse(schema, request.form)
    if not captcha.passed(request.form.get("captcha")):  # before any file is kept: a bot stores nothing
        return _page(chosen, schema, data, [], 422, captcha_wrong=True)
    try:
        refused = keep_photos(chosen, schema, data)
        if refused:
            return _page(chosen, schema, data, refused, 422)
        receipt = write(lambda s: public_demands.submit(s, services().ctx, chosen, data, now=now(),
                                                        confirmed=request.form.get(CONFIRM) == "1",
                                                        resident_id=_resident_id()))
    except NeedsConfirmation:  # the same place and problem was reported lately: ask before a second one
        read_session().rollback()
        return _page(chosen, schema, data, [], 409, repeat=True)
    except InvalidInput as error:
        read_session().rollback()
        return _page(chosen, schema, data, error.errors, 422)
    except Unavailable as error:  # the channel's set-up is broken: the operators' page says why
        read_session().rollback()
        log.error("the public channel of %s took no demand in: %s", chosen.process, error.message)
        return _page(chosen, schema, data, [FieldError("", CLOSED, "unavailable")], 503)
    _remember(receipt.code)
    session["public_receipt"] = receipt.code
    return redirect(url_for("public.receipt"))


def keep_photos(chosen: PublicChannel, schema: dict[str, Any], data: dict[str, Any]) -> list[FieldError]:
    """Keep the posted files of the form's file fields as the intake account's uploads; the refusals.

    They count against that account's waiting uploads (engine/pending_uploads.py) until the start
    attaches them; a refused or abandoned report leaves them to the worker's cleanup.
    """
    fields = attachments.fields_of(schema)
    if not any(f.filename for name in fields for f in request.files.getlist(name)):
        return []
    starter = public_demands.starter(read_session(), services().ctx, chosen)  # Unavailable when not set up
    errors: list[FieldError] = []
    for name in fields:
        stored, refused = store_uploads(starter, request.files.getlist(name), field=name)
        errors += refused
        if stored:
            data[name] = stored
    read_session().rollback()  # the uploads were committed in their own transaction: read afresh
    return errors


def _resident_id() -> int | None:
    """The signed-in resident sending a report (a seat of a role with the public capability), if any."""
    actor = g.get("actor")
    return actor.user_id if actor is not None and actor.can(Capability.PUBLIC) else None


def mine() -> str | Response:
    """A signed-in resident's own demands; each opens without the phone number."""
    user_id = _resident_id()
    if user_id is None:
        return redirect(url_for("auth.login", next=url_for("public.mine")))
    rows = public_demands.of_resident(read_session(), user_id)
    for code, _at, _status in reversed(rows):
        _remember(code)  # proved by the account: their progress pages open
    return render_template("public/mine.html", rows=rows)


def receipt() -> str | Response:
    """The tracking number of the demand just sent from this browser (printable)."""
    code = session.get("public_receipt")
    if not isinstance(code, str):
        return redirect(url_for("public.new_demand"))
    return render_template("public/receipt.html", code=code)


def track() -> str | Response | tuple[str, int]:
    """Tracking number and phone number in, the demand's progress out (the same answer for any mistake)."""
    if request.method == "GET":
        return render_template("public/track.html", code=request.args.get("code", "")[:20], error=None)
    code = request.form.get("code", "")[:30]
    try:
        demand = public_demands.find(read_session(), code, request.form.get("phone", "")[:30])
    except NotFound as missing:
        return render_template("public/track.html", code=code.strip()[:20],
                               error=translate(missing.template, missing.params)), 404
    _remember(demand.code)
    return redirect(url_for("public.demand", code=demand.code))


def show(code: str) -> str:
    """The progress of a demand this browser proved (404 for any other)."""
    demand = _proved(code)
    chosen = channel()
    session_ = read_session()
    progress = public_demands.progress(session_, chosen, demand)
    schema = public_demands.start_form(session_, services().ctx, chosen)
    rating, asks = _rating_fields(chosen, session_)
    return render_template("public/demand.html", progress=progress, shown=shown_fields(chosen, schema, progress.shown),
                           rating=rating, asks=asks)


def rate(code: str) -> Response:
    """The resident's rating (好差评); the rating step's own checks apply."""
    demand = _proved(code)
    chosen = channel()
    raw = request.form.get("rating", "").strip()
    comment = request.form.get("comment", "").strip()[:1000] or None
    answers = parse(_rating_schema(chosen, read_session()), request.form)  # typed as the form declares them
    try:
        write(lambda s: public_demands.rate(s, services().ctx, chosen, demand,
                                            int(raw) if raw.isdigit() else raw, comment, now=now(),
                                            answers=answers))
    except (InvalidInput, Conflict) as refused:
        read_session().rollback()
        flash(translate(refused.template, refused.params), "error")
    except Unavailable as error:
        read_session().rollback()
        log.error("the public channel of %s took no rating: %s", chosen.process, error.message)
        flash(translate(CLOSED), "error")
    else:
        flash(_("Thank you: your rating is recorded."), "success")
    return redirect(url_for("public.demand", code=demand.code))


def _proved(code: str) -> Any:
    """The demand of ``code`` when this browser proved it; 404 otherwise (a stranger learns nothing)."""
    if code not in session.get(TRACKED, []):
        raise NotFound("No request has this tracking number and phone number.")
    return public_demands.by_code(read_session(), code)


def _remember(code: str) -> None:
    tracked = [c for c in session.get(TRACKED, []) if c != code][-(MAX_TRACKED - 1):]
    session[TRACKED] = [*tracked, code]


def _page(chosen: PublicChannel, schema: dict[str, Any], data: dict[str, Any], errors: list[FieldError],
          status: int = 200, *, captcha_wrong: bool = False, repeat: bool = False) -> tuple[str, int]:
    """The report form with what was typed, each message beside its field."""
    fields = _fields(chosen, schema, data, errors)
    names = {f.name for f in fields}
    general = [translate(e.template, e.params) for e in errors if e.field.split(".")[0] not in names]
    return render_template("public/new.html", fields=fields, general=general, captcha_wrong=captcha_wrong,
                           repeat=repeat, confirm=CONFIRM), status


def _fields(chosen: PublicChannel, schema: dict[str, Any], data: dict[str, Any],
            errors: list[FieldError]) -> list[Field]:
    """The form's fields; a unit field offers only the unit kinds the channel names for it."""
    fields = fields_for(schema, values=data, errors=errors)
    session_ = read_session()
    for f in fields:
        kinds = chosen.unit_kinds.get(f.name)
        if kinds:
            f.options = [Option(d.code, d.name) for d in catalog.departments(session_, kinds)]
            f.widget = "select"
    return fields


def shown_fields(chosen: PublicChannel, schema: dict[str, Any], values: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value as read) of the fields the progress page repeats: enum names and unit names, not codes."""
    by_name = {f.name: f for f in _fields(chosen, schema, values, [])}
    shown = []
    for name, value in values.items():
        f = by_name.get(name)
        if f is None:
            continue
        label = next((o.label for o in f.options if o.value == str(value)), str(value))
        shown.append((f.label, label))
    return shown


def _rating_schema(chosen: PublicChannel, session_: Any) -> dict[str, Any]:
    """The rating step's form cut down to the rating field and the channel's other questions (``asks``)."""
    if chosen.rating is None:
        return {}
    definition = definitions.get(session_, chosen.process)  # the newest version's forms hold the rating step's
    schema = services().ctx.parts(session_, definition.id).form(chosen.rating.forms[0]) or {}
    properties = schema.get("properties") or {}
    wanted = (chosen.rating.field, *chosen.rating.asks)
    return {"properties": {name: properties[name] for name in wanted if isinstance(properties.get(name), dict)},
            "required": [chosen.rating.field]}


def _rating_fields(chosen: PublicChannel, session_: Any) -> tuple[Field | None, list[Field]]:
    """The rating field (its labels) and the other questions, as the rating step's form declares them."""
    fields = fields_for(_rating_schema(chosen, session_))
    rated = next((f for f in fields if chosen.rating is not None and f.name == chosen.rating.field), None)
    return rated, [f for f in fields if f is not rated]
