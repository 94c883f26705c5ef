"""``Idempotency-Key``: a client's retried request gets the first answer again instead of acting twice.

The key is reserved (a row inserted) before the action runs, in the action's own
transaction, and the answer is written into that row before the commit. So the action and
its record commit or vanish together: a failed action leaves no record, and a retry acts
afresh. A second request with the same key while the first is still running waits on the
row's unique index (PostgreSQL) or on the write lock (SQLite) and then gets the first
answer; it never acts. Only successful answers are kept (an error leaves nothing behind).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.database import Database
from engine.errors import Conflict, FieldError, InvalidInput
from engine.models import IdempotencyRecord

KEY = re.compile(r"[\x21-\x7e]{1,128}")  # visible ASCII: what a header carries unchanged
MAX_AGE = timedelta(hours=24)
CLEANUP_BATCH = 1000
PENDING = 0  # status of a reserved row whose action has not answered yet (never seen committed)


@dataclass(frozen=True)
class Answer:
    """An HTTP answer as kept: status, JSON body and the headers worth repeating."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    replayed: bool = False


def valid_key(key: str) -> bool:
    """Whether ``key`` may be used: 1..128 visible ASCII characters."""
    return KEY.fullmatch(key) is not None


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests "the same": method, path and body bytes."""
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def reserve(session: Session, user_id: int, key: str, method: str, path: str, request_sha256: str, *,
            now: datetime) -> IdempotencyRecord | Answer:
    """Reserve ``key`` for this request, or the kept answer of the earlier one with the same key.

    A different request under a used key is InvalidInput (the client's mistake); one still
    being answered by another transaction (seen only after it committed nothing) is Conflict.
    """
    found = _find(session, user_id, key)
    if found is None:
        row = IdempotencyRecord(user_id=user_id, key=key, method=method.upper(), path=path[:300],
                                request_sha256=request_sha256, status_code=PENDING, body=None, headers={},
                                created_at=now)
        try:
            with session.begin_nested():  # a savepoint: losing the race must not abort the transaction
                session.add(row)
                session.flush()
        except IntegrityError:
            # Another request with this key committed while we waited on its row: answer as it did.
            found = _find(session, user_id, key)
            if found is None:
                raise Conflict("A request with this Idempotency-Key is still being answered; try again.") from None
        else:
            return row
    if found.request_sha256 != request_sha256:
        raise InvalidInput("The Idempotency-Key was already used for a different request.", [
            FieldError("Idempotency-Key", "Use a new key for a new request; this one was used for {method} {path}.",
                       "idempotency_key_reused", {"method": found.method, "path": found.path})])
    if found.status_code == PENDING:
        raise Conflict("A request with this Idempotency-Key is still being answered; try again.")
    return Answer(found.status_code, found.body, dict(found.headers or {}), replayed=True)


def settle(session: Session, row: IdempotencyRecord, answer: Answer) -> None:
    """Keep the answer in the reserved row (same transaction as the action)."""
    row.status_code = answer.status
    row.body = answer.body
    row.headers = dict(answer.headers)
    session.flush()


def _find(session: Session, user_id: int, key: str) -> IdempotencyRecord | None:
    return session.execute(
        select(IdempotencyRecord).where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def clean(db: Database, now: datetime, max_age: timedelta = MAX_AGE, *, batch_size: int = CLEANUP_BATCH,
          max_batches: int = 20) -> int:
    """Remove answers older than ``max_age`` (the worker's sweep); how many went."""
    cutoff = now - max_age
    removed = 0
    for _ in range(max_batches):
        with db.transaction() as session:
            ids = list(session.execute(
                select(IdempotencyRecord.id).where(IdempotencyRecord.created_at < cutoff)
                .order_by(IdempotencyRecord.id).limit(batch_size).with_for_update(skip_locked=True)
            ).scalars())
            if ids:
                session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id.in_(ids)))
        removed += len(ids)
        if len(ids) < batch_size:
            break
    return removed
