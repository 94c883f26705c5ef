"""线上线下融合: a window clerk or community worker takes a demand in for a resident who does not go online.

Staff pages (signed in): the resident's report form with the same fields and checks as
/public/demands/new, no captcha, plus how the resident came (a service window, a community
worker, the phone). The demand is started exactly as a resident's would be, and records the
clerk as its helper (``public_demand.channel`` is ``counter``) with their unit and how the
resident came in the case's history. The clerk then prints a receipt with the tracking number;
the resident follows the demand on the public site with it and the phone number, or calls 12345.
Who may take demands in is decided by who may start the channel's process (web.permissions).
"""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from engine import public_demands
from engine.errors import FieldError, InvalidInput, NeedsConfirmation, Unavailable
from engine.forms import validate_data
from engine.public_channels import PublicChannel
from web import form_tokens, permissions
from web.auth.session import allowed, current_actor
from web.db import now, read_session, services, write
from web.forms import Field, Option, parse
from web.i18n import translate
from web.public.demands import CONFIRM, _fields, channel, keep_photos, shown_fields
from web.query import IntParam

# How the resident came to the clerk: stored in the case's history with the clerk and their unit.
HOW = {"window": _l("At a service window"), "community": _l("Through a community worker"),
       "phone": _l("By phone")}
HOW_FIELD = "came_by"
PAGE_SIZE = 50
OFFSET = IntParam("offset", "Requests to skip.", low=0, high=1_000_000, default=0)


@allowed(permissions.takes_requests_in)
def new() -> str | Response | tuple[str, int]:
    """GET: the resident's form. POST: the intake's own checks, then the printable receipt."""
    chosen = channel()
    schema = public_demands.start_form(read_session(), services().ctx, chosen)
    if request.method == "GET":
        seats = public_demands.counter_seats(read_session(), services().ctx, current_actor(), chosen)
        known = public_demands.helper_defaults(read_session(), seats[0], chosen) if seats else {}
        return _page(chosen, schema, known, None, [])
    token = request.form.get(form_tokens.FIELD)
    done = form_tokens.used(token)
    if done:  # Back, then send again: the demand was taken in the first time
        return form_tokens.replayed(done, _("Open the receipt"))
    data = parse(schema, request.form)
    how = request.form.get(HOW_FIELD, "")[:32]
    if how not in HOW:  # say what else is missing too, before anything is started
        session_ = read_session()
        errors = [FieldError(HOW_FIELD, "Choose how the resident came to you.", "required")]
        shown = set(schema.get("properties", {}))  # the rest is checked when it is sent with the choice made
        errors += [e for e in validate_data(schema, data, department_exists=services().ctx.directory(session_).exists)
                   if e.field.split("[")[0].split(".")[0] in shown]
        return _page(chosen, schema, data, None, errors, 422)
    actor = current_actor()
    seats = public_demands.counter_seats(read_session(), services().ctx, actor, chosen)
    unit = seats[0].department_id if seats else None
    try:
        refused = keep_photos(chosen, schema, data)
        if refused:
            return _page(chosen, schema, data, how, refused, 422)
        receipt = write(lambda s: public_demands.submit(
            s, services().ctx, chosen, data, now=now(), confirmed=request.form.get(CONFIRM) == "1",
            helper_id=actor.user_id, helper_unit_id=unit, how=how))
    except NeedsConfirmation:  # the same place and problem was reported lately: ask before a second one
        read_session().rollback()
        return _page(chosen, schema, data, how, [], 409, repeat=True)
    except InvalidInput as error:
        read_session().rollback()
        return _page(chosen, schema, data, how, error.errors, 422)
    except Unavailable as error:  # staff read why: the channel's account or process is not set up
        read_session().rollback()
        return _page(chosen, schema, data, how, [FieldError("", error.template, "unavailable", error.params)], 503)
    target = url_for("public.counter_receipt", code=receipt.code)
    form_tokens.use(token, target)
    flash(_("The request is taken in. Print the receipt and give it to the resident."), "success")
    return redirect(target)


@allowed(permissions.works_on_tasks)  # staff: a resident's own account has no business here
def receipt(code: str) -> str:
    """The printable receipt of a demand this user took in (404 for any other): never the name, the phone masked."""
    chosen = channel()
    session_ = read_session()
    taken = public_demands.taken_in(session_, chosen, current_actor().user_id, code[:20])
    schema = public_demands.start_form(session_, services().ctx, chosen)
    return render_template("public/counter_receipt.html", taken=taken,
                           shown=shown_fields(chosen, schema, taken.shown),
                           how=str(HOW[taken.how]) if taken.how in HOW else "",
                           track_url=track_url())


@allowed(permissions.works_on_tasks)
def index() -> str:
    """The demands this user took in for residents, newest first, 50 a page."""
    offset = OFFSET.read() or 0
    actor = current_actor()
    rows, more = public_demands.taken_in_by(read_session(), actor.user_id, limit=PAGE_SIZE, offset=offset)
    return render_template("public/counter_index.html", rows=rows, more=more, offset=offset, page_size=PAGE_SIZE,
                           how_labels={k: str(v) for k, v in HOW.items()},
                           may_take_in=permissions.takes_requests_in(actor))


def _page(chosen: PublicChannel, schema: dict[str, Any], data: dict[str, Any], how: str | None,
          errors: list[FieldError], status: int = 200, *, repeat: bool = False) -> tuple[str, int]:
    """The form with what was entered, each message beside its field, the rest on top."""
    fields = _fields(chosen, schema, data, errors)
    names = {f.name for f in fields} | {HOW_FIELD}
    general = [translate(e.template, e.params) for e in errors if e.field.split(".")[0] not in names]
    came = Field(HOW_FIELD, _("How the resident came"), "radio", True,
                 options=[Option(value, str(label)) for value, label in HOW.items()], value=how,
                 error="".join(translate(e.template, e.params) for e in errors if e.field == HOW_FIELD))
    token = form_tokens.carried(request.form.get(form_tokens.FIELD))
    return render_template("public/counter_new.html", came=came, fields=fields, general=general, repeat=repeat,
                           confirm=CONFIRM, token_field=form_tokens.FIELD, token=token), status


def track_url() -> str:
    """The tracking page's address as printed for the resident: under WHISTLE_PUBLIC_URL when it is set."""
    base = services().settings.public_url
    return f"{base}{url_for('public.track')}" if base else url_for("public.track", _external=True)
