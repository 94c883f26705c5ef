"""Upload bytes on disk: one file per content, named by its SHA-256, written atomically."""
from __future__ import annotations

import os
import re
import tempfile
from datetime import datetime
from pathlib import Path

_SHA256 = re.compile(r"[0-9a-f]{64}")


def blob_path(storage_dir: Path, sha256: str) -> Path:
    """Where the bytes with this hash live (the hash is checked, so no other path can come out)."""
    if not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256[:80]!r}")
    return storage_dir / sha256


def write(storage_dir: Path, digest: str, data: bytes, now: datetime) -> None:
    """Keep the bytes under their hash (once), stamped with ``now`` as their last use.

    The stamp tells the cleanup of stale uploads that these bytes were just wanted again:
    it never removes a blob used more recently than its cutoff, even if the row that uses
    it is not committed yet.
    """
    path = blob_path(storage_dir, digest)
    if not path.exists():  # equal content is stored once
        storage_dir.mkdir(parents=True, exist_ok=True)
        # A blob written for a transaction that then rolls back stays until the cleanup finds
        # it unused; the next upload of the same bytes reuses it meanwhile.
        handle, temporary = tempfile.mkstemp(dir=storage_dir, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    stamp = now.timestamp()
    try:
        os.utime(path, (stamp, stamp))
    except FileNotFoundError:  # removed by a cleanup between the two calls: write it again
        write(storage_dir, digest, data, now)


def remove_unused(storage_dir: Path, digest: str, cutoff: datetime) -> bool:
    """Delete a blob no row uses any more, unless it was used after ``cutoff``; whether it went."""
    path = blob_path(storage_dir, digest)
    try:
        if path.stat().st_mtime > cutoff.timestamp():
            return False
        path.unlink()
    except FileNotFoundError:
        return False
    return True
