"""Login and logout pages."""
from __future__ import annotations

from flask import redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from engine import user_sessions
from engine.login_throttle import LoginLocked
from engine.sign_in import WrongPassword, sign_in
from web.auth.session import SESSION_KEY
from web.boundary import local_target
from web.db import now, services, write
from web.i18n import translate


def _safe_next(target: str | None) -> str:
    """Only paths inside this site, never another host nor a header split by CR/LF."""
    return local_target(target, url_for("home"))


def login() -> str | Response | tuple[str, int] | tuple[str, int, dict[str, str]]:
    """Show the form; on POST check the password (throttled) and start a server-side session."""
    if request.method == "GET":
        return render_template("auth/login.html", next=request.args.get("next", ""), username="")
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    settings = services().settings
    try:
        signed_in = sign_in(services().db, username, password, now=now(), address=request.remote_addr or "",
                            user_agent=request.headers.get("User-Agent", ""), throttle=settings.throttle_policy,
                            sessions=settings.session_policy)
    except (WrongPassword, LoginLocked) as error:
        html = render_template("auth/login.html", next=request.form.get("next", ""), username=username,
                               error=translate(error.template, error.params))
        if isinstance(error, LoginLocked):  # a rate limit, so scripts and proxies can tell it from a wrong password
            return html, 429, {"Retry-After": str(max(1, int((error.until - now()).total_seconds())))}
        return html, 401
    lang = session.get("lang")
    session.clear()  # a fresh cookie on every sign-in (no fixation)
    if lang:
        session["lang"] = lang
    session[SESSION_KEY] = signed_in.token
    session.permanent = True
    return redirect(_safe_next(request.form.get("next")))


def logout() -> Response:
    """End the session here and on the server (POST with a CSRF token, from the menu)."""
    token = session.get(SESSION_KEY)
    if isinstance(token, str):
        at = now()
        write(lambda s: user_sessions.revoke(s, token, now=at))
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("auth.login"))
