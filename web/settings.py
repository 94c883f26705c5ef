"""Runtime settings, read from the environment (``WHISTLE_*``) or given by the caller."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import processes
from engine.login_throttle import ThrottlePolicy
from engine.pending_uploads import PendingLimits
from engine.user_sessions import SessionPolicy

ENV_PREFIX = "WHISTLE_"


def default_processes_dir() -> Path:
    """The ``processes/`` folder shipped with the project."""
    return Path(processes.__file__).resolve().parent


@dataclass(frozen=True)
class Settings:
    """Everything configurable about one whistle server."""

    instance_path: Path = field(default_factory=lambda: Path.cwd() / "instance")
    database_url: str | None = None
    secret_key: str | None = None
    processes_dir: Path = field(default_factory=default_processes_dir)
    allow_script_tasks: bool = False
    # Suggestions learned from people's decisions (engine/learned_models.py), when whistle[learning] is
    # installed; WHISTLE_LEARNING=off leaves the decision tables alone to suggest.
    learning: bool = True
    clock_file: Path | None = None  # tests only: a file holding the instant the server treats as "now"
    # Tests only, never in production: a file holding the digits every public captcha shows (browser tests
    # drive a separate server process and cannot read the picture). The server warns at start when set.
    captcha_file: Path | None = None
    # A request may carry several files; each one is limited to 8 MB by engine.attachments.
    max_upload_bytes: int = 32 * 1024 * 1024
    attachments_dir: Path | None = None  # uploaded files; None: ``instance_path/attachments``
    # Uploads no form has taken yet (engine.pending_uploads): removed by the worker's sweep after
    # this many hours; at most this many files and megabytes waiting per person.
    pending_upload_hours: int = 24
    pending_upload_files: int = 30
    pending_upload_megabytes: int = 100
    # Every other body (JSON, plain forms) is refused above this size before it is read (web.boundary),
    # and JSON may nest at most this deep.
    max_body_bytes: int = 1024 * 1024
    max_json_depth: int = 32
    # Designers' expressions and loops (engine.expression_limits): each evaluation's wall-clock
    # limit, and how many instances one multi-instance activity or loop may start.
    expression_time_limit_ms: int = 1000
    max_multi_instance: int = 100
    # A whistle of the same street, category and address within this many days is a suspected
    # duplicate the officer confirms before it is blown (engine.whistle_rules); 0 turns the check off.
    duplicate_days: int = 3
    # Signing in (see docs and engine.user_sessions / engine.login_throttle): a session ends after
    # this long without a request, and at the latest this long after sign-in.
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    session_cookie_secure: bool = False  # behind HTTPS: Secure cookie and Strict-Transport-Security
    login_max_failures: int = 5  # wrong passwords per account name within login_lock_minutes
    login_max_failures_per_address: int = 20  # per network address; 0 turns the address lock off
    login_lock_minutes: int = 15  # the counting window and the first lock (doubling with each lock)
    # Reverse proxies in front of whistle (nginx terminating HTTPS: 1). Their X-Forwarded-For and
    # -Proto are then believed, so the address lock sees the visitor, not the proxy.
    proxy_count: int = 0
    # The public site's rate-limit counters (web/public/limits.py): in the process by default; a
    # shared store (a limits storage URI, e.g. redis://host:6379) when several processes serve it.
    rate_limit_storage: str = "memory://"
    # Who sends residents' phone verification codes (engine/verification.py): "log" (development: the
    # server log) or a class "package.module:Class" with a send(phone, code) method.
    verifier: str = "log"
    # The address residents reach the public site at ("https://12345.example.gov.cn"), printed on paper
    # receipts; None: the address of the request that prints it (right only without a proxy in front).
    public_url: str | None = None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``WHISTLE_*`` variables, then ``overrides``."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        if env.get("WHISTLE_INSTANCE_PATH"):
            values["instance_path"] = Path(env["WHISTLE_INSTANCE_PATH"])
        if env.get("WHISTLE_DATABASE_URL"):
            values["database_url"] = env["WHISTLE_DATABASE_URL"]
        if env.get("WHISTLE_SECRET_KEY"):
            values["secret_key"] = env["WHISTLE_SECRET_KEY"]
        if env.get("WHISTLE_PROCESSES_DIR"):
            values["processes_dir"] = Path(env["WHISTLE_PROCESSES_DIR"])
        if env.get("WHISTLE_ALLOW_SCRIPT_TASKS"):
            values["allow_script_tasks"] = env["WHISTLE_ALLOW_SCRIPT_TASKS"].lower() in _TRUE
        if env.get("WHISTLE_VERIFIER"):
            values["verifier"] = env["WHISTLE_VERIFIER"]
        if env.get("WHISTLE_RATE_LIMIT_STORAGE"):
            values["rate_limit_storage"] = env["WHISTLE_RATE_LIMIT_STORAGE"]
        if env.get("WHISTLE_LEARNING"):
            values["learning"] = env["WHISTLE_LEARNING"].lower() in _TRUE
        if env.get("WHISTLE_ATTACHMENTS_DIR"):
            values["attachments_dir"] = Path(env["WHISTLE_ATTACHMENTS_DIR"])
        if env.get("WHISTLE_CAPTCHA_FILE"):
            values["captcha_file"] = Path(env["WHISTLE_CAPTCHA_FILE"])
        if env.get("WHISTLE_PUBLIC_URL"):
            values["public_url"] = public_url(env["WHISTLE_PUBLIC_URL"])
        if env.get("WHISTLE_CLOCK_FILE"):
            values["clock_file"] = Path(env["WHISTLE_CLOCK_FILE"])
        values.update(_bounded_values(env))
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def session_policy(self) -> SessionPolicy:
        """How long a sign-in session lives."""
        return SessionPolicy(idle=timedelta(minutes=self.session_idle_minutes),
                             absolute=timedelta(hours=self.session_max_hours))

    @property
    def throttle_policy(self) -> ThrottlePolicy:
        """When failed sign-ins lock an account name or an address."""
        window = timedelta(minutes=self.login_lock_minutes)
        return ThrottlePolicy(account_failures=self.login_max_failures,
                              address_failures=self.login_max_failures_per_address, window=window, lock=window)

    def with_(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied."""
        return replace(self, **changes)

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or a SQLite file in the instance folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.instance_path / 'whistle.sqlite3').resolve()}"

    @property
    def pending_uploads(self) -> PendingLimits:
        """How long unattached uploads wait and how much one person may have waiting."""
        return PendingLimits(timedelta(hours=self.pending_upload_hours), self.pending_upload_files,
                             self.pending_upload_megabytes * 1024 * 1024)

    @property
    def resolved_attachments_dir(self) -> Path:
        """Where uploaded files are kept: the configured folder, or ``attachments`` in the instance folder."""
        return self.attachments_dir or self.instance_path / "attachments"

    def resolved_secret_key(self) -> str:
        """The configured key, or one kept in the instance folder (created on first use)."""
        if self.secret_key:
            return self.secret_key
        path = self.instance_path / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.instance_path.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        path.write_text(key)
        path.chmod(0o600)
        return key


class SettingsError(ValueError):
    """A ``WHISTLE_*`` variable holds a value whistle cannot use; the message names it and its range."""


# Whole-number settings from the environment: (variable, field, lowest, highest allowed).
_BOUNDED_INTS = [
    ("WHISTLE_MAX_BODY_BYTES", "max_body_bytes", 1024, 64 * 1024 * 1024),
    ("WHISTLE_MAX_JSON_DEPTH", "max_json_depth", 2, 256),
    ("WHISTLE_EXPRESSION_TIME_LIMIT_MS", "expression_time_limit_ms", 10, 60_000),
    ("WHISTLE_MAX_MULTI_INSTANCE", "max_multi_instance", 1, 10_000),
    ("WHISTLE_DUPLICATE_DAYS", "duplicate_days", 0, 365),
    ("WHISTLE_PENDING_UPLOAD_HOURS", "pending_upload_hours", 1, 24 * 365),
    ("WHISTLE_PENDING_UPLOAD_FILES", "pending_upload_files", 1, 10_000),
    ("WHISTLE_PENDING_UPLOAD_MB", "pending_upload_megabytes", 1, 100_000),
    ("WHISTLE_SESSION_IDLE_MINUTES", "session_idle_minutes", 1, 525_600),  # up to a year (test servers)
    ("WHISTLE_SESSION_MAX_HOURS", "session_max_hours", 1, 87_600),
    ("WHISTLE_LOGIN_MAX_FAILURES", "login_max_failures", 1, 1000),
    ("WHISTLE_LOGIN_MAX_FAILURES_PER_ADDRESS", "login_max_failures_per_address", 0, 100_000),
    ("WHISTLE_LOGIN_LOCK_MINUTES", "login_lock_minutes", 1, 1440),
    ("WHISTLE_PROXY_COUNT", "proxy_count", 0, 5),
]
_TRUE = ("1", "true", "yes", "on")
MAX_PUBLIC_URL = 200


def _bounded_values(env: Any) -> dict[str, Any]:
    """The whole-number and on/off settings present in ``env``; SettingsError naming the first bad one."""
    values: dict[str, Any] = {}
    for variable, name, low, high in _BOUNDED_INTS:
        if env.get(variable):
            text = env[variable].strip()
            # Digits counted before int(): a 5,000-digit value must not cost a conversion.
            if not (text.isascii() and text.isdigit() and len(text) <= 12 and low <= int(text) <= high):
                raise SettingsError(f"{variable} must be a whole number from {low} to {high}, "
                                    f"not {env[variable][:40]!r}")
            values[name] = int(text)
    if env.get("WHISTLE_SESSION_COOKIE_SECURE"):
        values["session_cookie_secure"] = env["WHISTLE_SESSION_COOKIE_SECURE"].lower() in _TRUE
    return values


def public_url(value: str) -> str:
    """WHISTLE_PUBLIC_URL without its trailing slash; SettingsError unless it is an http(s) origin and path."""
    text = value.strip().rstrip("/")
    try:
        parts = urlsplit(text) if len(text) <= MAX_PUBLIC_URL and text.isprintable() and " " not in text else None
    except ValueError:  # a broken [IPv6] host
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise SettingsError("WHISTLE_PUBLIC_URL must be the site's address, such as https://12345.example.gov.cn "
                            f"(http or https, no query), not {value[:40]!r}")
    return text
