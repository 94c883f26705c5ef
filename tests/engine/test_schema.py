"""Alembic migrations produce exactly the schema the models declare, on both databases."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from engine import schema
from engine.database import Database
from engine.models import Base


def test_migrations_match_the_models(db: Database) -> None:
    assert schema.current_revision(db) == schema.head_revision(db)
    with db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_upgrade_is_idempotent(db: Database) -> None:
    schema.upgrade(db)
    assert schema.current_revision(db) == schema.head_revision(db)
