"""Throw-away PostgreSQL schemas for tests that start their own servers or databases."""
from __future__ import annotations

import os
import uuid

from sqlalchemy import create_engine, text

POSTGRES_URL = os.environ.get("WHISTLE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def schema_url(schema_name: str) -> str:
    """The database URL that works inside ``schema_name`` (psycopg's search_path option)."""
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema_name}"


def create_schema(prefix: str) -> tuple[str, str]:
    """A new empty schema: its name and the URL that uses it."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    _run(f'CREATE SCHEMA "{name}"')
    return name, schema_url(name)


def drop_schema(name: str) -> None:
    """Remove a schema and everything in it."""
    _run(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def _run(statement: str) -> None:
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()
