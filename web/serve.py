"""Running the app under gunicorn (production and demo) from the ``whistle`` command."""
from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """gunicorn with options from code instead of a config file."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self._app = app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self._app


def serve(app: Flask, *, bind: str, workers: int, threads: int) -> None:
    """Serve ``app`` on ``bind`` (``host:port`` or ``fd://N``) until interrupted."""
    options = {
        "bind": bind,
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "accesslog": "-",
        "errorlog": "-",
        "timeout": 60,
        "graceful_timeout": 10,
        # Several servers may share a host (and a home folder): no shared control socket.
        "control_socket_disable": True,
        # The app (and its connection pool) is built before gunicorn forks: give each
        # worker fresh connections instead of sharing the parent's sockets.
        "post_fork": lambda _server, _worker: app.extensions["whistle"].db.engine.dispose(close=False),
    }
    _Gunicorn(app, options).run()
