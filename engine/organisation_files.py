"""Loading organisation and demo files from packs: read and check them all, then sync and seed in one go."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from engine import demo_logins, organisation_data, organisation_sync
from engine.errors import DefinitionInvalid
from engine.organisation_data import Organisation
from engine.organisation_sync import SyncReport

ORGANISATION_FILE = "organisation.yaml"
DEMO_FILE = "demo.yaml"


@dataclass(frozen=True)
class SeedReport:
    """What a demo seed did: the organisation's diff and the logins it added."""

    sync: SyncReport
    users: int
    logins: list[tuple[str, str]]  # (username, display name) of every demo login
    featured: list[str] = field(default_factory=list)  # the logins the packs suggest trying first, in order


def read(folders: Iterable[Path]) -> Organisation:
    """The organisation declared by the folders' organisation.yaml files, merged in order; problems raised."""
    merged, problems = Organisation(), []
    for folder in folders:
        path = folder / ORGANISATION_FILE
        if path.is_file():
            _, found = organisation_data.read_file(path, merged)
            problems += found
    if problems:
        raise DefinitionInvalid(problems)
    return merged


def sync(session: Session, folders: Iterable[Path], *, prune: bool = False) -> SyncReport:
    """``whistle org sync``: make the database match the folders' organisation files."""
    folders = list(folders)
    return organisation_sync.sync(session, read(folders), prune=prune,
                                  where=", ".join(str(f / ORGANISATION_FILE) for f in folders))


def seed_demo(session: Session, folders: Iterable[Path], *, password: str, now: datetime) -> SeedReport:
    """Sync the organisation, then add every folder's demo logins (existing ones are kept as they are)."""
    folders = list(folders)
    report = sync(session, folders)
    demos = [demo_logins.read(f / DEMO_FILE) for f in folders if (f / DEMO_FILE).is_file()]
    users, logins, featured = 0, [], []
    for data in demos:
        added, planned = demo_logins.seed(session, data, password=password, now=now)
        users += added
        logins += planned
        featured += [u for u in data.get("featured") or [] if u not in featured]
    return SeedReport(report, users, logins, featured)
