"""Pending uploads on the page and in the worker: a Chinese 422 over the cap, ``whistle sweep`` cleans old ones."""
from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from engine import accounts, attachments
from engine.actors import actor_of
from engine.context import EngineContext
from engine.database import Database
from engine.models import Attachment, ProcessInstance
from escalation.config import Escalation
from tests.support import SHANGHAI, FakeClock, Flow
from tests.web.conftest import Pages
from tests.web.test_pages_street import FORM
from web.app import create_app
from web.cli import cli, register_commands
from web.services import Services
from web.settings import Settings

register_commands()


def _pending(db: Database) -> int:
    with db.transaction(write=False) as session:
        return session.execute(select(func.count()).select_from(Attachment)
                               .where(Attachment.instance_id.is_(None))).scalar_one()


def test_a_whistle_form_over_the_pending_cap_is_a_chinese_422_and_keeps_nothing_more(
        db: Database, ctx: EngineContext, esc: Escalation, clock: FakeClock, flow: Flow, tmp_path: Path) -> None:
    settings = Settings(instance_path=tmp_path / "instance", secret_key="test-secret", pending_upload_files=2)
    app = create_app(services=Services(settings=settings, db=db, ctx=ctx, clock=clock, escalation=esc))
    flow.deploy()
    officer = Pages(app, []).as_("HP.officer")

    def files(count: int) -> list[tuple[io.BytesIO, str]]:
        return [(io.BytesIO(b"%PDF-1.4\n%%EOF\n% " + bytes([48 + n])), f"{n}.pdf") for n in range(count)]

    refused = officer.post("/whistles/new", data={**FORM, "description": "太短", "attachments": files(3)})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "尚未随表单提交" in html and "最多可保留 2 个" in html  # the third file is refused, in Chinese
    assert _pending(db) == 2
    again = officer.post("/whistles/new", data={**FORM, "description": "太短", "attachments": files(2)})
    assert again.status_code == 422 and _pending(db) == 2  # the same files sent again take no more room
    with db.transaction(write=False) as session:
        assert session.execute(select(ProcessInstance.id)).first() is None


def test_whistle_sweep_removes_uploads_no_form_took_and_says_how_many(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"

    def run(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(cli, ["--database-url", url, "--instance", str(tmp_path / "instance"), *args],
                                  catch_exceptions=False)

    assert run("init").exit_code == 0 and run("seed-demo").exit_code == 0
    storage = tmp_path / "instance" / "attachments"
    uploaded = datetime(2026, 9, 28, 9, 0, tzinfo=SHANGHAI)
    db = Database(url)
    with db.transaction() as session:
        officer = actor_of(accounts.user_by_name(session, "HP.officer"))
        row = attachments.store(session, storage, officer, "a.pdf", None, b"%PDF-1.4\n%%EOF", uploaded)
        path = attachments.blob_path(storage, row.sha256)
    assert path.exists()
    early = run("sweep", "--now", (uploaded + timedelta(hours=23)).isoformat())
    assert early.exit_code == 0 and "0 stale upload(s) removed" in early.output and path.exists()
    late = run("sweep", "--now", (uploaded + timedelta(hours=25)).isoformat())
    assert late.exit_code == 0 and "1 stale upload(s) removed" in late.output
    assert not path.exists() and _pending(db) == 0
    db.dispose()
