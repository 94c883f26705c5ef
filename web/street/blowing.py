"""Blowing a whistle: the start form with suggested departments, uploads kept across corrections."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine import attachments, case_links, whistles
from engine.errors import FieldError, InvalidInput, NeedsConfirmation, NotFound
from web import form_tokens, permissions
from web.auth.session import allowed, current_actor
from web.db import now, read_session, services, write
from web.forms import Field, Option, fields_for, parse
from web.i18n import translate
from web.street.attachments import store_uploads

# The start form's fields in the order the page shows them; ``street`` only for officers of several streets.
SHOWN = ("whistle_type", "category", "title", "community", "address", "description", "departments",
         "attachments", "street")
# The checkbox that blows the whistle although it looks like a duplicate of a recent one.
CONFIRM = "confirm_duplicate"


@allowed(permissions.blows_whistles)
def new() -> str | Response | tuple[str, int]:
    """GET: the empty form. POST: keep the uploads, then blow the whistle or show what to fix (422)."""
    actor = current_actor()
    ctx = services().ctx
    schema = whistles.start_form(read_session(), ctx)
    token = request.form.get(form_tokens.FIELD)
    source = _source()
    if request.method == "GET":
        try:
            prefilled = {} if source is None else case_links.prefill(
                read_session(), ctx, actor, source, whistles.PROCESS_KEY)
        except InvalidInput as error:  # the case no longer offers it: say so over an empty form
            return _page(schema, {}, error.errors, 422)
        if isinstance(prefilled.get("category"), str) and "departments" not in prefilled:
            prefilled["departments"] = whistles.suggested(read_session(), prefilled["category"])  # as a pick would
        return _page(schema, prefilled, [], source=source)
    done = form_tokens.used(token)
    if done:  # Back, then 吹哨 again: the whistle was blown the first time
        return form_tokens.replayed(done, _("Open the whistle already blown"))
    data = parse(schema, request.form)
    kept = request.form.getlist("attachments__kept")
    stored, refused = store_uploads(actor, request.files.getlist("attachments"))
    if kept or stored:
        data["attachments"] = list(dict.fromkeys([*kept, *stored]))  # a file sent again is the same upload
    # The uploads were committed in their own transaction: read from a fresh snapshot from here on.
    read_session().rollback()
    if refused:
        return _page(schema, data, refused + whistles.check(read_session(), ctx, actor, data), 422, source=source)
    confirmed = request.form.get(CONFIRM) == "1"
    try:
        instance_id = write(lambda session: whistles.blow(session, ctx, actor, data, now=now(),
                                                          confirmed=confirmed, linked_from=source).id)
    except NeedsConfirmation as doubt:  # the same place and category was blown lately: ask before a second case
        read_session().rollback()
        return _page(schema, data, [], 409, duplicates=[_earlier(e) for e in doubt.errors], source=source)
    except InvalidInput as error:
        read_session().rollback()
        return _page(schema, data, error.errors, 422, source=source)
    target = url_for("street.show", instance_id=instance_id)
    form_tokens.use(token, target)
    flash(_("The whistle is blown: the departments have been summoned."), "success")
    return redirect(target)


@allowed(permissions.blows_whistles)
def suggestion() -> str:
    """The department checkboxes with the chosen category's owners ticked (an htmx fragment)."""
    session = read_session()
    schema = whistles.start_form(session, services().ctx)
    chosen = whistles.suggested(session, request.args.get("category", "").strip())
    field = _fields(schema, {"departments": chosen}, [])["departments"]
    return render_template("street/_departments.html", field=field)


def _source() -> int | None:
    """The case the whistle is blown from (``linked_from`` in the query or the form), when one is named."""
    raw = request.values.get("linked_from", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise NotFound("Case {id} not found.", id=raw[:20])
    return int(raw)


def _earlier(doubt: FieldError) -> dict[str, Any]:
    """An earlier case a suspected duplicate names: its id, title and when it was blown."""
    return {"id": doubt.params.get("id"), "title": doubt.params.get("title"), "at": doubt.params.get("at")}


def _page(schema: dict[str, Any], data: dict[str, Any], errors: list[FieldError],
          status: int = 200, *, duplicates: list[dict[str, Any]] | None = None,
          source: int | None = None) -> tuple[str, int]:
    """The form with what was entered, each message beside its field, the rest on top, suspected duplicates first."""
    actor = current_actor()
    session = read_session()
    by_name = _fields(schema, data, errors)
    shown = [by_name[name] for name in SHOWN if name in by_name]
    names = {f.name for f in shown}
    general = [translate(e.template, e.params) for e in errors if _base(e.field) not in names]
    kept = attachments.pending(session, actor, data.get("attachments") or [])
    token = form_tokens.carried(request.form.get(form_tokens.FIELD))  # one token over every correction
    return render_template("street/new.html", fields=shown, kept=kept, general=general, duplicates=duplicates,
                           confirm=CONFIRM, token_field=form_tokens.FIELD, token=token, source=source), status


def _fields(schema: dict[str, Any], data: dict[str, Any], errors: list[FieldError]) -> dict[str, Field]:
    """The start form's fields, with the street's communities and the district departments as choices."""
    actor = current_actor()
    session = read_session()
    seats = whistles.street_seats(session, actor, starting=True)
    departments = [Option(d.code, d.name) for d in whistles.summonable(session)]
    by_name = {f.name: f for f in fields_for(schema, values=data, errors=errors, department_options=departments)}
    community = by_name.get("community")
    known = whistles.communities(session, [s.department_id for s in seats])
    if community is not None and known:
        community.widget, community.options = "select", [Option(c, c) for c in known]
    street = by_name.get("street")
    if street is not None:
        if len(seats) > 1:  # the one street of most officers is filled in by the engine
            street.options = [Option(s.department_code, s.department_name) for s in seats]
        else:
            del by_name["street"]
    uploads = by_name.get("attachments")
    if uploads is not None:  # every refused file gets its own message, not just the last one
        uploads.error = "；".join(translate(e.template, e.params) for e in errors if _base(e.field) == "attachments")
    return by_name


def _base(field: str) -> str:
    """The top-level field a message is about (``attachments[2]`` -> ``attachments``)."""
    return field.split("[")[0].split(".")[0]
