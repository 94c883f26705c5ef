"""What every command shares: settings, lazily built services, error reporting, transactions."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import click
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from engine import schema
from engine.errors import DefinitionInvalid, WhistleError
from web.services import Services, build_services
from web.settings import Settings


class CliState:
    """Settings now, services on first use (``validate`` never needs a database)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._services: Services | None = None

    @property
    def services(self) -> Services:
        """The wired services (database, engine, escalation)."""
        if self._services is None:
            with domain_errors():
                self._services = build_services(self.settings)
        return self._services

    def now(self) -> datetime:
        """The current instant."""
        return self.services.clock.now()


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turn domain and connection errors into clear lines and exit status 1, never a traceback."""
    try:
        yield
    except DefinitionInvalid as error:
        for problem in error.problems:
            click.echo(problem.located())
        raise click.ClickException(error.message) from None
    except WhistleError as error:
        raise click.ClickException(error.message) from None
    except OperationalError as error:
        raise click.ClickException(f"cannot use the database: {error.orig}") from None


@contextmanager
def transaction(state: CliState) -> Iterator[Session]:
    """One committed transaction on an initialised, up-to-date database."""
    db = state.services.db
    with domain_errors():
        if schema.current_revision(db) != schema.head_revision(db):
            raise click.ClickException("the database is not initialised or is out of date: run 'whistle init' first")
        with db.transaction() as session:
            yield session
