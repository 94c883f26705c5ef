"""``whistle init | serve | worker | sweep | demo``: running the server and the escalation worker."""
from __future__ import annotations

import logging
import sys
from datetime import datetime

import click

from engine import idempotency, learned_models, pending_uploads, schema
from escalation import scheduler
from escalation.sweep import BATCH_SIZE, SweepReport, sweep
from web.cli.bundles import deploy
from web.cli.organisation import DEMO_PASSWORD, seed
from web.cli.state import CliState, domain_errors

log = logging.getLogger("whistle.worker")


@click.command()
@click.pass_obj
def init(state: CliState) -> None:
    """Create or migrate the database schema."""
    with domain_errors():
        schema.upgrade(state.services.db)
    click.echo(f"database ready at revision {schema.current_revision(state.services.db)}")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--fd", type=int, default=None, help="Listen on an inherited socket (socket activation) instead.")
@click.option("--workers", default=2, show_default=True, type=int, help="gunicorn worker processes.")
@click.option("--threads", default=4, show_default=True, type=int, help="Threads per worker.")
@click.pass_obj
def serve(state: CliState, host: str, port: int, fd: int | None, workers: int, threads: int) -> None:
    """Serve the web app and API with gunicorn."""
    from web.app import create_app
    from web.serve import serve as run

    bind = f"fd://{fd}" if fd is not None else f"{host}:{port}"
    run(create_app(services=state.services), bind=bind, workers=workers, threads=threads)


def _sweep_once(state: CliState, now: datetime | None = None,
                batch_size: int = BATCH_SIZE) -> tuple[SweepReport, int]:
    """One sweep, then the cleanup of uploads no form took in time; the report and how many went."""
    services = state.services
    at = now or services.clock.now()
    report = sweep(services.db, services.ctx, services.escalation, at, batch_size=batch_size)
    settings = services.settings
    try:
        removed = pending_uploads.clean(services.db, settings.resolved_attachments_dir, at,
                                        settings.pending_uploads.max_age)
    except Exception:  # the sweep's work is committed; a cleanup that fails is tried again next time
        log.exception("cleaning stale uploads failed")
        removed = 0
    try:  # answers kept for Idempotency-Key retries live 24 hours
        idempotency.clean(services.db, at)
    except Exception:
        log.exception("cleaning old idempotency records failed")
    if services.ctx.learned.training_due(at):
        try:  # 人机协同: the models learn the decisions people made since the last training
            with services.db.transaction() as session:
                learned_models.retrain(session, at, evaluator=services.ctx.evaluator)
        except Exception:  # suggestions go on with the models as they were; the next minute tries again
            log.exception("training the learned models failed")
    if report.timers or report.deadlines or report.failed or removed:
        log.info("sweep: %s; %d stale upload(s) removed", report, removed)
    return report, removed


def _log_to_console() -> None:
    """INFO to the console for what the worker did; APScheduler only when a job fails or is missed."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # Its "Running job ... executed successfully" every few seconds buries the sweeps that fired something.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


@click.command()
@click.option("--interval", default=5.0, show_default=True, type=float, help="Seconds between sweeps.")
@click.option("--batch-size", default=BATCH_SIZE, show_default=True, type=click.IntRange(1, 10_000),
              help="Due items per transaction.")
@click.pass_obj
def worker(state: CliState, interval: float, batch_size: int) -> None:
    """Fire due BPMN timers and deadline rungs every few seconds (any number may run on PostgreSQL)."""
    _log_to_console()
    with domain_errors():
        state.services.db.ping()
    log.info("worker started, sweeping every %.1f s", interval)
    scheduler.run_forever(lambda: _sweep_once(state, batch_size=batch_size), interval=interval)


@click.command("sweep")
@click.option("--now", "at", default=None, metavar="ISO", help="Sweep as if it were this instant.")
@click.option("--batch-size", default=BATCH_SIZE, show_default=True, type=click.IntRange(1, 10_000),
              help="Due items per transaction.")
@click.pass_obj
def sweep_command(state: CliState, at: str | None, batch_size: int) -> None:
    """Run one sweep now (or at --now) and print what fired and how many stale uploads went."""
    instant = None
    if at is not None:
        try:
            instant = datetime.fromisoformat(at)
        except ValueError:
            raise click.BadParameter(f"'{at}' is not an ISO 8601 instant", param_hint="--now") from None
        if instant.tzinfo is None:
            raise click.BadParameter("give the instant with its UTC offset, e.g. +08:00", param_hint="--now")
    with domain_errors():
        report, removed = _sweep_once(state, instant, batch_size)
    click.echo(str(report))
    click.echo(f"{removed} stale upload(s) removed")
    if report.failed:
        sys.exit(1)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.pass_context
def demo(ctx: click.Context, host: str, port: int) -> None:
    """Initialise, deploy every pack in processes/, seed the demo district, run the worker and serve (SQLite)."""
    state: CliState = ctx.obj
    ctx.invoke(init)
    report = seed(state, (), DEMO_PASSWORD)  # the organisation first: diagrams name its roles
    ctx.invoke(deploy, paths=(state.settings.processes_dir,))
    click.echo("")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    names = dict(report.logins)
    for username in report.featured:  # as the packs' demo.yaml list them
        if username in names:
            click.echo(f"  {username:<20} {names[username]}")
    click.echo("  (every street, department and unit has the same logins: CODE.officer, CODE.staff, ...)")
    click.echo(f"API tokens: whistle user token USERNAME   ·   API: http://{host}:{port}/api/v1/openapi.json")
    click.echo("")
    _log_to_console()
    scheduler.start_in_background(lambda: _sweep_once(state), interval=5.0)
    ctx.invoke(serve, host=host, port=port, workers=1, threads=8)


COMMANDS = [init, serve, worker, sweep_command, demo]
