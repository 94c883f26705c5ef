"""The public site's front page and its text-size switch."""
from __future__ import annotations

from flask import redirect, render_template, request, session
from werkzeug.wrappers import Response

from web.boundary import local_target


def index() -> str:
    """What a resident can do here, in plain words."""
    return render_template("public/index.html")


def text_size() -> Response:
    """Switch the larger text on or off for this browser, then go back."""
    session["large_text"] = not session.get("large_text", False)
    return redirect(local_target(request.form.get("next"), "/public"))  # only back into this site
