"""Runtime settings, read from the environment (``WHISTLE_*``) or given by the caller."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import processes

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
    clock_file: Path | None = None  # tests only: a file holding the instant the server treats as "now"
    # A request may carry several files; each one is limited to 8 MB by engine.attachments.
    max_upload_bytes: int = 32 * 1024 * 1024
    attachments_dir: Path | None = None  # uploaded files; None: ``instance_path/attachments``

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
            values["allow_script_tasks"] = env["WHISTLE_ALLOW_SCRIPT_TASKS"].lower() in ("1", "true", "yes")
        if env.get("WHISTLE_ATTACHMENTS_DIR"):
            values["attachments_dir"] = Path(env["WHISTLE_ATTACHMENTS_DIR"])
        if env.get("WHISTLE_CLOCK_FILE"):
            values["clock_file"] = Path(env["WHISTLE_CLOCK_FILE"])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

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
