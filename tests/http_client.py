"""A small JSON-over-HTTP client and a live ``whistle serve`` process for end-to-end tests."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WHISTLE = str(Path(sys.executable).with_name("whistle"))


@dataclass
class Reply:
    """Status and parsed JSON body of one response."""

    status: int
    body: Any
    content_type: str


def request(base: str, method: str, path: str, *, token: str | None = None, body: Any = None) -> Reply:
    """Send one JSON request to the live server."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            raw, status, ctype = response.read(), response.status, response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        raw, status, ctype = error.read(), error.code, error.headers.get("Content-Type", "")
    return Reply(status, json.loads(raw) if raw and "json" in ctype else raw, ctype)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def whistle(*args: str, env: dict[str, str]) -> str:
    """Run the ``whistle`` command; return stdout, fail the test with stderr on error."""
    done = subprocess.run([WHISTLE, *args], env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise AssertionError(f"whistle {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


class LiveServer:
    """``whistle serve`` on a socket the test opened, stopped when the test ends.

    The test binds and listens first and hands the socket to the server, so requests
    queue in the backlog until the server accepts them: no polling for readiness.
    """

    def __init__(self, env: dict[str, str], log: Path, *, workers: int = 2) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(128)
        self.port = int(self._socket.getsockname()[1])
        self.base = f"http://127.0.0.1:{self.port}"
        self._log = log.open("w")
        fd = self._socket.fileno()
        self._process = subprocess.Popen(
            [WHISTLE, "serve", "--fd", str(fd), "--workers", str(workers), "--threads", "4"],
            env=env, stdout=self._log, stderr=subprocess.STDOUT, pass_fds=(fd,),
        )
        reply = request(self.base, "GET", "/api/v1/health")
        if reply.status != 200:
            raise AssertionError(f"server unhealthy: {reply.status} {reply.body}; see {self._log.name}")

    def stop(self) -> None:
        """Terminate the server and wait for it."""
        self._process.terminate()
        try:
            self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._process.kill()
        self._log.close()
        self._socket.close()


def environment(database_url: str, instance: Path) -> dict[str, str]:
    """The environment for ``whistle`` commands against one database."""
    env = dict(os.environ)
    env.update(WHISTLE_DATABASE_URL=database_url, WHISTLE_INSTANCE_PATH=str(instance), WHISTLE_SECRET_KEY="e2e",
               # Tests move the server's clock by hours and days while a browser stays signed in:
               # sessions must not end under them (tests/web/test_sessions.py tests the limits).
               WHISTLE_SESSION_IDLE_MINUTES="525600", WHISTLE_SESSION_MAX_HOURS="87600",
               # Tests blow the same whistle many times; tests/web/test_duplicates.py tests the warning.
               WHISTLE_DUPLICATE_DAYS="0")
    return env
