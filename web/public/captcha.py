"""An offline image captcha for anonymous forms: four digits drawn by the ``captcha`` package, no third party.

The answer never leaves the server in the clear: the session (a signed, readable cookie) keeps only
an HMAC of it with the app's secret, and each answer is good for one post within ten minutes.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable

from captcha.image import ImageCaptcha
from flask import current_app, session

SESSION_KEY = "public_captcha"
DIGITS = 4
LIFETIME_SECONDS = 600


def _answer() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(DIGITS))


def answers() -> Callable[[], str]:
    """Where answers come from: random digits (tests put a known sequence in ``app.extensions``)."""
    return current_app.extensions.get("whistle_captcha_answers", _answer)


def _digest(answer: str) -> str:
    return hmac.new(str(current_app.secret_key).encode(), answer.encode(), hashlib.sha256).hexdigest()


def new_image() -> bytes:
    """A fresh challenge as PNG bytes; its answer's digest goes into the session."""
    answer = answers()()
    session[SESSION_KEY] = {"digest": _digest(answer), "at": int(time.time())}
    return ImageCaptcha(width=160, height=60).generate(answer).getvalue()


def passed(given: str | None) -> bool:
    """Whether ``given`` answers the session's challenge; the challenge is used up either way."""
    kept = session.pop(SESSION_KEY, None)
    if not isinstance(kept, dict) or not isinstance(given, str) or int(time.time()) - kept.get("at", 0) > \
            LIFETIME_SECONDS:
        return False
    return hmac.compare_digest(str(kept.get("digest", "")), _digest(given.strip()[:DIGITS + 2]))
