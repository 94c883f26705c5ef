"""One-time form tokens: a form carries one, its first successful submit uses it up, a replay is shown the result.

Back then submit again would otherwise act twice (a second case). The token is random and
issued with the form; what a used token led to is kept in the signed session cookie (the
last few, per browser), so a replay of the same form gets a page pointing at the result
instead of doing it again. Forms without a token (API clients, scripts) are not affected.
"""
from __future__ import annotations

import re
import secrets

from flask import render_template, session

FIELD = "form_token"
_KEY = "used_forms"
KEEP = 20  # used tokens remembered per browser session: enough for a day's forms, small in the cookie
_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def issue() -> str:
    """A fresh token for a form about to be shown."""
    return secrets.token_urlsafe(16)


def carried(token: str | None) -> str:
    """The token a posted form carried (to keep across corrections), else a fresh one."""
    return token if token and _SHAPE.fullmatch(token) else issue()


def used(token: str | None) -> str | None:
    """Where the first submit of a form with ``token`` led (a local URL), or None when it is unused."""
    if not token or not _SHAPE.fullmatch(token):
        return None
    for seen, target in session.get(_KEY, []):
        if seen == token:
            return str(target)
    return None


def use(token: str | None, target: str) -> None:
    """Mark ``token`` used by a successful submit that led to ``target``."""
    if not token or not _SHAPE.fullmatch(token):
        return
    kept = [pair for pair in session.get(_KEY, []) if pair[0] != token]
    session[_KEY] = [*kept, [token, target]][-KEEP:]


def replayed(target: str, label: str) -> tuple[str, int]:
    """The page a replayed form gets: nothing was done again, here is what the first submit made (409)."""
    return render_template("form_used.html", target=target, label=label), 409
