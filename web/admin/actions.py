"""The administrator's actions on a user: each a POST with the CSRF token; destructive ones need a confirmation.

A password or token made here is shown in the answer to the POST itself (never in a flash
message: those travel in the signed but readable session cookie), with ``no-store`` so the
browser keeps no copy.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from engine import user_admin
from engine.errors import InvalidInput, WhistleError
from engine.roles import role_book
from web import permissions
from web.admin.choices import units
from web.auth.session import allowed, current_actor
from web.db import now, read_session, write
from web.i18n import translate

admin_action = allowed(permissions.administers)
MAX_FIELD = 200  # form values are cut here before anything reads them (the engine bounds them further)


def register(bp: Blueprint) -> None:
    """Add the action routes."""
    for path, endpoint, view in [
            ("/name", "rename", rename), ("/active", "set_active", set_active), ("/seats", "add_seat", add_seat),
            ("/seats/remove", "remove_seat", remove_seat), ("/password", "reset_password", reset_password),
            ("/tokens", "issue_token", issue_token), ("/revoke", "revoke_access", revoke_access)]:
        bp.add_url_rule(f"/users/<username:username>{path}", endpoint, view, methods=["POST"])
    bp.add_url_rule("/users/<username:username>/tokens/<id:token_id>/revoke", "revoke_token", revoke_token,
                    methods=["POST"])


def _field(name: str) -> str:
    return request.form.get(name, "")[:MAX_FIELD]


def _confirmed() -> bool:
    return request.form.get("confirm") == "yes"


def _message(error: WhistleError) -> str:
    """The error in the reader's language, with its field errors when it has them."""
    if isinstance(error, InvalidInput) and error.errors:
        return " ".join(translate(e.template, e.params) for e in error.errors)
    return translate(error.template, error.params)


def _act(username: str, action: Callable[[Session], Any], done: str | Callable[[Any], str],
         *, confirm: bool = False) -> Response:
    """Run ``action``; flash what happened (or why not) and go back to the user's page."""
    back = redirect(url_for("admin.user", username=username))
    if confirm and not _confirmed():
        flash(_("Tick the confirmation box to do this."), "error")
        return back
    try:
        result = write(action)
    except WhistleError as error:
        flash(_message(error), "error")
        return back
    flash(done(result) if callable(done) else done, "success")
    return back


def render_new_user(values: dict[str, str], errors: dict[str, str], status_error: str | None = None) -> str:
    """The add-user form with what was typed and what was wrong with it."""
    return render_template("admin/new_user.html", values=values, errors=errors, error=status_error,
                           units=units(read_session()), roles=[r for r in role_book(read_session()) if r.active])


def _secret(title: str, username: str, secret: str, note: str) -> Response:
    """A page that shows a new password or token once."""
    response = make_response(render_template("admin/secret.html", title=title, username=username, secret=secret,
                                             note=note))
    response.headers["Cache-Control"] = "no-store"
    return response


@admin_action
def create_user() -> str | Response:
    """Add a user with one optional seat; a generated password is shown once."""
    values = {k: _field(k) for k in ("username", "display_name", "password", "department", "role")}
    seats = [(values["department"], values["role"])] if values["department"] or values["role"] else []
    actor, at = current_actor(), now()
    try:
        made = write(lambda s: user_admin.add_user(s, actor, values["username"].strip(), values["display_name"],
                                                   password=values["password"] or None, seats=seats, now=at))
    except InvalidInput as error:
        errors = {e.field: translate(e.template, e.params) for e in error.errors}
        values.pop("password")
        return render_new_user(values, errors, translate(error.template, error.params)), 422  # type: ignore[return-value]
    except WhistleError as error:
        values.pop("password")
        return render_new_user(values, {}, translate(error.template, error.params)), 409  # type: ignore[return-value]
    username = made.user.username
    if made.password is None:
        flash(_("User %(name)s added.", name=username), "success")
        return redirect(url_for("admin.user", username=username))
    return _secret(_("User %(name)s added", name=username), username, made.password,
                   _("This is the initial password. Give it to the person now: it is shown only once. "
                     "They can sign in with it straight away."))


@admin_action
def rename(username: str) -> Response:
    """Change the display name."""
    name, actor, at = _field("display_name"), current_actor(), now()
    return _act(username, lambda s: user_admin.rename(s, actor, username, name, now=at),
                _("Display name changed."))


@admin_action
def set_active(username: str) -> Response:
    """Deactivate (confirmed) or activate again."""
    active, actor, at = _field("active") == "yes", current_actor(), now()
    done: Callable[[int], str] = (lambda n: _("Deactivated; %(n)s session(s) ended.", n=n)) if not active else (
        lambda _n: _("Activated."))
    return _act(username, lambda s: user_admin.set_active(s, actor, username, active, now=at), done,
                confirm=not active)


@admin_action
def add_seat(username: str) -> Response:
    """Give a seat: a unit and a role."""
    code, role, actor, at = _field("department"), _field("role"), current_actor(), now()
    return _act(username, lambda s: user_admin.add_seat(s, actor, username, code, role, now=at), _("Seat given."))


@admin_action
def remove_seat(username: str) -> Response:
    """Take a seat (confirmed)."""
    code, role, actor, at = _field("department"), _field("role"), current_actor(), now()
    return _act(username, lambda s: user_admin.remove_seat(s, actor, username, code, role, now=at),
                _("Seat taken."), confirm=True)


@admin_action
def reset_password(username: str) -> Response:
    """A generated password (confirmed), shown once; every session of the user ends."""
    if not _confirmed():
        flash(_("Tick the confirmation box to do this."), "error")
        return redirect(url_for("admin.user", username=username))
    actor, at = current_actor(), now()
    try:
        password, ended = write(lambda s: user_admin.reset_password(s, actor, username, now=at))
    except WhistleError as error:
        flash(_message(error), "error")
        return redirect(url_for("admin.user", username=username))
    return _secret(_("New password for %(name)s", name=username), username, password or "",
                   _("Give it to the person now: it is shown only once. %(n)s session(s) were ended; "
                     "their API tokens still work.", n=ended))


@admin_action
def issue_token(username: str) -> Response:
    """A new API token, shown once."""
    label, actor, at = _field("label").strip() or "api", current_actor(), now()
    try:
        days = int(_field("days") or user_admin.DEFAULT_TOKEN_DAYS)
    except ValueError:
        days = 0  # refused by the engine with the allowed range
    try:
        made = write(lambda s: user_admin.issue_token(s, actor, username, label=label, days=days, now=at))
    except WhistleError as error:
        flash(_message(error), "error")
        return redirect(url_for("admin.user", username=username))
    return _secret(_("API token for %(name)s", name=username), username, made.token,
                   _("Copy it into the system that calls the API now: it is shown only once. Send it as "
                     "Authorization: Bearer <token>."))


@admin_action
def revoke_token(username: str, token_id: int) -> Response:
    """Withdraw one token (confirmed)."""
    actor, at = current_actor(), now()
    return _act(username, lambda s: user_admin.revoke_token(s, actor, username, token_id, now=at),
                _("API token withdrawn."), confirm=True)


@admin_action
def revoke_access(username: str) -> Response:
    """Withdraw every token and end every session (confirmed)."""
    actor, at = current_actor(), now()
    return _act(username, lambda s: user_admin.revoke_access(s, actor, username, now=at),
                lambda r: _("%(tokens)s token(s) withdrawn, %(sessions)s session(s) ended.", tokens=r[0],
                            sessions=r[1]), confirm=True)
