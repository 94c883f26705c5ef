"""Resident accounts on the public site: sign up with a phone number and password, verify the phone.

Residents sign in on the ordinary sign-in page with their phone number as the login name. The code
that verifies the phone comes from the configured verifier (WHISTLE_VERIFIER; the development one
writes it to the server log).
"""
from __future__ import annotations

from typing import Any

from flask import Response, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine import catalog, residents
from engine.consultations import Consultation
from engine.errors import FieldError, InvalidInput, NotFound
from engine.verification import Verifier, verifier_named
from web.db import now, read_session, services, write
from web.i18n import translate
from web.public import captcha


def verifier() -> Verifier:
    """This app's verifier (tests put a recording one in ``app.extensions``)."""
    found = current_app.extensions.get("whistle_verifier")
    if found is None:
        found = current_app.extensions["whistle_verifier"] = verifier_named(services().settings.verifier)
    return found  # type: ignore[no-any-return]


def _consultation() -> Consultation:
    found = services().consultations
    if not found:
        raise NotFound("Residents cannot sign up on this site.")
    return found[0]


def sign_up() -> str | Response | tuple[str, int]:
    """Phone, password and community (and the captcha) in; a code to the phone out."""
    cfg = _consultation()
    if request.method == "GET":
        return _page(cfg, {}, [])
    values = {k: request.form.get(k, "").strip()[:64] for k in ("phone", "home")}
    if not captcha.passed(request.form.get("captcha")):
        return _page(cfg, values, [], 422, captcha_wrong=True)
    secret = str(current_app.secret_key)
    try:
        write(lambda s: residents.sign_up(s, verifier(), secret, phone=values["phone"],
                                          password=request.form.get("password", "")[:200],
                                          home=values["home"], role=cfg.resident_role,
                                          kinds=cfg.community_kinds, now=now()))
    except InvalidInput as error:
        read_session().rollback()
        return _page(cfg, values, error.errors, 422)
    return redirect(url_for("public.verify", phone=residents.phone_of(values["phone"])))


def verify() -> str | Response | tuple[str, int]:
    """The code from the phone in; the account active, then on to sign in."""
    phone = (request.values.get("phone") or "")[:20]
    if request.method == "GET":
        return render_template("public/verify.html", phone=phone, error=None)
    secret = str(current_app.secret_key)
    try:
        write(lambda s: residents.verify(s, secret, phone=phone, code=request.form.get("code", "")[:10], now=now()))
    except (InvalidInput, NotFound) as error:
        read_session().rollback()
        return render_template("public/verify.html", phone=phone, error=translate(error.template, error.params)), 422
    return redirect(url_for("auth.login", next=url_for("public.proposals")))


def _page(cfg: Consultation, values: dict[str, Any], errors: list[FieldError], status: int = 200, *,
          captcha_wrong: bool = False) -> tuple[str, int]:
    units = catalog.departments(read_session(), cfg.community_kinds)
    messages = {e.field: translate(e.template, e.params) for e in errors}
    return render_template("public/sign_up.html", values=values, units=units, errors=messages,
                           captcha_wrong=captcha_wrong, heading=_("Sign up as a resident")), status
