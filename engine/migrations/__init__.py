"""Alembic migrations of the whistle schema (run through ``engine.schema``)."""
