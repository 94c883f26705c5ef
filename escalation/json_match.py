"""Typed tests of a value inside a JSON column, written the way each database needs them.

``true`` must not match ``1`` and ``"4"`` must not match ``4``: PostgreSQL compares JSONB values
with their types, but SQLite's ``json_extract`` turns ``true`` into ``1``, so there the type is
checked with ``json_type`` beside the value.
"""
from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, cast, false, func, literal, or_
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import InstrumentedAttribute

Scalar = str | int | bool


def json_one_of(dialect: str, column: InstrumentedAttribute[object], path: Sequence[str],
                values: Sequence[Scalar]) -> ColumnElement[bool]:
    """Whether the value at ``path`` (keys from the top) of ``column`` is one of ``values``, type included."""
    if not values:
        return false()
    if dialect == "postgresql":
        at = column[tuple(path)]  # type: ignore[index]
        return or_(*(at == cast(literal(json.dumps(v, ensure_ascii=False)), JSONB) for v in values))
    where = "$" + "".join(f'."{key}"' for key in path)  # keys are checked names: no quote can occur
    kind = func.json_type(column, where)
    value = func.json_extract(column, where)
    tests: list[ColumnElement[bool]] = []
    texts = [v for v in values if isinstance(v, str)]
    numbers = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    if texts:
        tests.append(and_(kind == "text", value.in_(texts)))
    if numbers:
        tests.append(and_(kind.in_(("integer", "real")), value.in_(numbers)))
    if any(v is True for v in values):
        tests.append(kind == "true")
    if any(v is False for v in values):
        tests.append(kind == "false")
    return or_(*tests)
