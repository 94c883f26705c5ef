"""Rate limits on the public site's anonymous posts (Flask-Limiter), per client address.

Each app has its own limiter. The counters live in the process by default (``memory://``); several
server processes share them only through a common store, set with WHISTLE_RATE_LIMIT_STORAGE (a
``limits`` storage URI such as ``redis://…``). Behind a proxy, set WHISTLE_PROXY_COUNT so that the
address is the visitor's.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

# Per address: enough for a family at one window, too few for a script.
DEMAND_POSTS = "5 per minute; 30 per day"
TRACK_POSTS = "10 per minute; 100 per day"
RATING_POSTS = "5 per minute; 30 per day"
CAPTCHAS = "30 per minute"
SIGN_UPS = "3 per minute; 10 per day"  # each one sends a text message
VOTES = "10 per minute; 100 per day"  # votes and comments of a signed-in resident


def limiter_for(app: Flask) -> Limiter:
    """This app's limiter, made on first use with the configured store."""
    found = app.extensions.get("whistle_limiter")
    if found is None:
        storage = app.extensions["whistle"].settings.rate_limit_storage
        found = Limiter(get_remote_address, app=app, default_limits=[], storage_uri=storage,
                        strategy="fixed-window", headers_enabled=True)
        app.extensions["whistle_limiter"] = found
    return found


def limited(app: Flask, view: Callable[..., Any], limits: str, *, posts_only: bool = True) -> Callable[..., Any]:
    """``view`` with ``limits`` per address (on POST only, unless ``posts_only`` is false)."""
    limiter = limiter_for(app)
    return limiter.limit(limits, methods=["POST"] if posts_only else None)(view)
