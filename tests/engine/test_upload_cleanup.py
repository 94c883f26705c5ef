"""Uploads no form took: a cap per person, the same file sent again reused, old ones cleaned with their files."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import attachments, blobs, pending_uploads
from engine.errors import InvalidInput
from engine.models import Attachment
from engine.pending_uploads import PendingLimits
from tests.support import WHISTLE_DATA, Flow

PDF = b"%PDF-1.4\n%%EOF"
DAY = pending_uploads.DEFAULT_LIMITS.max_age


def pdf(n: int) -> bytes:
    """A distinct small PDF."""
    return PDF + f"\n% {n}".encode()


def store(flow: Flow, storage: Path, data: bytes, *, user: str = "HP.officer", name: str = "a.pdf",
          limits: PendingLimits = pending_uploads.DEFAULT_LIMITS) -> int:
    with flow.db.transaction() as session:
        return attachments.store(session, storage, flow.actor(user), name, None, data, flow.clock.now(),
                                 limits=limits).id


def rows(flow: Flow) -> dict[int, int | None]:
    with flow.db.transaction(write=False) as session:
        return {i: c for i, c in session.execute(select(Attachment.id, Attachment.instance_id))}


def blob(storage: Path, data: bytes) -> Path:
    return blobs.blob_path(storage, hashlib.sha256(data).hexdigest())


def clean(flow: Flow, storage: Path) -> int:
    return pending_uploads.clean(flow.db, storage, flow.clock.now(), DAY)


def test_uploads_no_form_took_go_after_a_day_with_their_files(flow: Flow, tmp_path: Path) -> None:
    flow.deploy()
    stale = store(flow, tmp_path, pdf(1))
    shared = store(flow, tmp_path, pdf(2), name="shared.pdf")
    taken = store(flow, tmp_path, pdf(2), user="XH.officer", name="kept.pdf")  # the same bytes, another row
    case = flow.start("whistle", {**WHISTLE_DATA, "community": "新华里社区", "attachments": [str(taken)]},
                      as_="XH.officer")
    flow.clock.advance(hours=23)
    fresh = store(flow, tmp_path, pdf(3))
    flow.clock.advance(minutes=59)
    assert clean(flow, tmp_path) == 0  # nothing is a full day old yet
    flow.clock.advance(minutes=2)
    assert clean(flow, tmp_path) == 2
    assert rows(flow) == {taken: case, fresh: None}
    assert not blob(tmp_path, pdf(1)).exists()
    assert blob(tmp_path, pdf(2)).exists()  # a case still holds these bytes
    assert blob(tmp_path, pdf(3)).exists()
    assert stale not in rows(flow) and shared not in rows(flow)
    assert clean(flow, tmp_path) == 0  # once only


def test_bytes_wanted_again_after_the_cutoff_are_not_removed(flow: Flow, tmp_path: Path) -> None:
    store(flow, tmp_path, pdf(1))
    flow.clock.advance(hours=25)
    # Another upload of the same bytes is under way (its row not committed yet): the file is restamped.
    blobs.write(tmp_path, hashlib.sha256(pdf(1)).hexdigest(), pdf(1), flow.clock.now())
    assert clean(flow, tmp_path) == 1
    assert blob(tmp_path, pdf(1)).exists()


def test_the_same_file_sent_again_is_the_same_upload_waiting_afresh(flow: Flow, tmp_path: Path) -> None:
    first = store(flow, tmp_path, pdf(1), name="现场.pdf")
    flow.clock.advance(hours=20)
    assert store(flow, tmp_path, pdf(1), name="现场.pdf") == first
    assert store(flow, tmp_path, pdf(1), name="另一个名字.pdf") != first  # another name is another upload
    assert store(flow, tmp_path, pdf(1), name="现场.pdf", user="XH.officer") != first
    flow.clock.advance(hours=20)
    assert clean(flow, tmp_path) == 0  # sent again 20 h ago, so not a day old
    assert len(rows(flow)) == 3


def test_a_person_may_have_only_so_many_files_waiting(flow: Flow, tmp_path: Path) -> None:
    flow.deploy()
    limits = PendingLimits(max_files=3, max_bytes=10 * 1024 * 1024)
    ids = [store(flow, tmp_path, pdf(n), limits=limits) for n in range(3)]
    with pytest.raises(InvalidInput) as refused:
        store(flow, tmp_path, pdf(3), limits=limits)
    [error] = refused.value.errors
    assert (error.field, error.code, error.params["count"], error.params["files"]) == (
        "attachments", "too_many_pending", 3, 3)
    assert store(flow, tmp_path, pdf(3), user="XH.officer", limits=limits)  # another person has room
    assert store(flow, tmp_path, pdf(0), limits=limits) == ids[0]  # sending one again takes no room
    flow.start("whistle", {**WHISTLE_DATA, "attachments": [str(ids[0])]}, as_="HP.officer")
    assert store(flow, tmp_path, pdf(3), limits=limits)  # one went with a case: room again


def test_a_person_may_have_only_so_many_bytes_waiting(flow: Flow, tmp_path: Path) -> None:
    limits = PendingLimits(max_files=100, max_bytes=len(pdf(1)) * 2)
    store(flow, tmp_path, pdf(1), limits=limits)
    store(flow, tmp_path, pdf(2), limits=limits)
    with pytest.raises(InvalidInput) as refused:
        store(flow, tmp_path, pdf(3), limits=limits)
    assert [e.code for e in refused.value.errors] == ["too_many_pending"]
    assert not blob(tmp_path, pdf(3)).exists()  # refused before anything was written
