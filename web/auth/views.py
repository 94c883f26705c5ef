"""Login and logout pages."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine import accounts
from web.db import read_session


def _safe_next(target: str | None) -> str:
    """Only paths inside this site, never another host."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return url_for("home")
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else url_for("home")


def login() -> str | Response | tuple[str, int]:
    """Show the form; on POST check the password and start a session."""
    if request.method == "GET":
        return render_template("auth/login.html", next=request.args.get("next", ""), username="")
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    user = accounts.check_password(read_session(), username, password) if username and password else None
    if user is None:
        error = _("Wrong username or password.")
        return render_template("auth/login.html", next=request.form.get("next", ""), username=username,
                               error=error), 401
    lang = session.get("lang")
    session.clear()  # a fresh session on every sign-in (no fixation)
    if lang:
        session["lang"] = lang
    session["user_id"] = user.id
    session.permanent = True
    return redirect(_safe_next(request.form.get("next")))


def logout() -> Response:
    """End the session (POST with a CSRF token, from the menu)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("auth.login"))
