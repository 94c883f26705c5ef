"""Uploads no case holds yet: how many a person may keep waiting, and the cleanup of old ones.

A form's files are stored before the form is checked (so a corrected form need not send
them again); a form that is never sent leaves them behind. The cap bounds what one person
can pile up; the cleanup, run by the worker's sweep, removes what waited too long.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from engine import blobs
from engine.actors import Actor
from engine.database import Database
from engine.errors import FieldError
from engine.models import Attachment

MEGABYTE = 1024 * 1024
CLEANUP_BATCH = 500  # rows removed per transaction


@dataclass(frozen=True)
class PendingLimits:
    """How long an unattached upload is kept, and how much one person may have waiting."""

    max_age: timedelta = timedelta(hours=24)
    max_files: int = 30  # three full whistle forms (10 files each)
    max_bytes: int = 100 * MEGABYTE


DEFAULT_LIMITS = PendingLimits()


def reusable(session: Session, actor: Actor, digest: str, filename: str) -> Attachment | None:
    """The actor's own waiting upload of the same bytes under the same name (a form sent again)."""
    return session.execute(select(Attachment).where(
        Attachment.uploaded_by_id == actor.user_id, Attachment.instance_id.is_(None),
        Attachment.sha256 == digest, Attachment.filename == filename,
    ).order_by(Attachment.id).limit(1)).scalar_one_or_none()


def refusal(session: Session, actor: Actor, size: int, limits: PendingLimits, field: str) -> FieldError | None:
    """Why one more upload of ``size`` bytes would be too much waiting for this actor, or None."""
    count, total = session.execute(select(func.count(), func.coalesce(func.sum(Attachment.size), 0)).where(
        Attachment.uploaded_by_id == actor.user_id, Attachment.instance_id.is_(None))).one()
    if count + 1 > limits.max_files or total + size > limits.max_bytes:
        return FieldError(field, "You have {count} uploaded files ({megabytes} MB) not yet sent with a form; at most "
                                 "{files} files or {limit} MB may wait. Send or correct your form, or try again after "
                                 "{hours} hours.", "too_many_pending",
                          {"count": count, "megabytes": round(total / MEGABYTE, 1), "files": limits.max_files,
                           "limit": limits.max_bytes // MEGABYTE, "hours": _hours(limits.max_age)})
    return None


def clean(db: Database, storage_dir: Path, now: datetime, max_age: timedelta, *,
          batch_size: int = CLEANUP_BATCH, max_batches: int = 20) -> int:
    """Remove uploads no case took within ``max_age``, and their files when nothing else uses them."""
    cutoff = now - max_age
    removed = 0
    for _ in range(max_batches):
        with db.transaction() as session:
            rows = session.execute(
                select(Attachment.id, Attachment.sha256)
                .where(Attachment.instance_id.is_(None), Attachment.created_at < cutoff)
                .order_by(Attachment.id).limit(batch_size)
                .with_for_update(skip_locked=True)  # another worker, or a form taking them now
            ).all()
            if rows:
                session.execute(delete(Attachment).where(Attachment.id.in_([r.id for r in rows]),
                                                         Attachment.instance_id.is_(None)))
        # Files only once the rows are gone for good; bytes another row still names stay.
        digests = {r.sha256 for r in rows}
        if digests:
            with db.transaction(write=False) as session:
                used = set(session.execute(select(Attachment.sha256).where(Attachment.sha256.in_(digests)))
                           .scalars())
            for digest in digests - used:
                blobs.remove_unused(storage_dir, digest, cutoff)
        removed += len(rows)
        if len(rows) < batch_size:
            break
    return removed


def _hours(age: timedelta) -> int | float:
    hours = age.total_seconds() / 3600
    return int(hours) if hours == int(hours) else round(hours, 1)
