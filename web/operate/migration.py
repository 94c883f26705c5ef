"""Pages: migrating running cases between versions of a process: pick, dry run, migrate."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from sqlalchemy.orm import Session

from engine import case_migration, definitions
from engine.case_migration import MigrationReport
from engine.errors import Forbidden, InvalidInput, NotFound
from web import permissions
from web.auth.session import allowed, current_actor
from web.db import now, read_session, services, write
from web.i18n import translate
from web.query import IntParam, TextParam

KEY = TextParam("key", "Process key.", max_length=255)
FROM = IntParam("from", "The version the cases run on.", low=1, high=1_000_000)
TO = IntParam("to", "The version to move them to.", low=1, high=1_000_000)
VERSION_MAX = 1_000_000


def register(bp: Blueprint) -> None:
    """Add this part's routes to the operate blueprint."""
    bp.add_url_rule("/migrations", "migrations", migrations, methods=["GET"])
    bp.add_url_rule("/migrations", "migrate", migrate, methods=["POST"])


@allowed(permissions.designs)
def migrations() -> tuple[str, int] | str:
    """Versions with running cases; with ``key``, ``from`` and ``to``: the dry run, per case."""
    key, frm, to = KEY.read(), FROM.read(), TO.read()
    report, error = None, None
    if key and frm and to:
        try:
            report = case_migration.dry_run(read_session(), services().ctx, current_actor(), key, frm, to, now=now())
        except (NotFound, InvalidInput) as refusal:
            error = _refusal_text(refusal)
    return _page(key, frm, to, report=report, error=error), 422 if error else 200


@allowed(permissions.administers)
def migrate() -> tuple[str, int] | str:
    """Migrate the cases that map, with a reason; the page lists what moved and what stayed."""
    key = request.form.get("key", "")[:255]
    frm, to = _version(request.form.get("from")), _version(request.form.get("to"))
    reason = request.form.get("reason", "")[:1000]
    actor = current_actor()

    def unit(session: Session) -> MigrationReport:
        return case_migration.migrate(session, services().ctx, actor, key, frm, to, reason, now=now())

    try:
        report = write(unit)
    except InvalidInput as refusal:
        read_session().rollback()
        errors = {e.field: translate(e.template, e.params) for e in refusal.errors}
        report = case_migration.dry_run(read_session(), services().ctx, actor, key, frm, to, now=now()) \
            if "reason" in errors else None
        return _page(key, frm, to, report=report, errors=errors, reason=reason,
                     error=None if report else _refusal_text(refusal)), 422
    except (NotFound, Forbidden) as refusal:
        read_session().rollback()
        return _page(key, frm, to, error=_refusal_text(refusal)), 422
    return _page(key, frm, to, report=report)


def _version(raw: str | None) -> int:
    if raw is None or not raw.isdigit() or not 1 <= int(raw) <= VERSION_MAX:
        abort(400, description="from and to must be version numbers")
    return int(raw)


def _refusal_text(refusal: NotFound | InvalidInput | Forbidden) -> str:
    if isinstance(refusal, InvalidInput) and refusal.errors:
        return "；".join(translate(e.template, e.params) for e in refusal.errors)
    return translate(refusal.template, refusal.params)


def _page(key: str | None, frm: int | None, to: int | None, *, report: MigrationReport | None = None,
          error: str | None = None, errors: dict[str, str] | None = None, reason: str = "") -> str:
    session, actor = read_session(), current_actor()
    versions: dict[str, list[tuple[int, int]]] = {}
    for definition, running in definitions.list_summaries(session):
        versions.setdefault(definition.key, []).append((definition.version, running))
    for found in versions.values():
        found.sort()
    return render_template("operate/migrations.html", versions=versions, key=key, frm=frm, to=to, report=report,
                           error=error, errors=errors or {}, reason=reason,
                           may_migrate=permissions.administers(actor))
