"""CSV downloads that Excel opens correctly: UTF-8 with a BOM, CRLF lines, no formula injection."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from flask import Response

# Cells starting with these make Excel evaluate a formula; case titles are typed by users.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    """A value safe to put in a cell: text that looks like a formula is quoted with an apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Response:
    """An attachment ``filename`` (ASCII) holding ``header`` and ``rows``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # the default dialect ends lines with CRLF, as Excel expects
    writer.writerow(header)
    writer.writerows([cell(v) for v in row] for row in rows)
    response = Response(("\ufeff" + buffer.getvalue()).encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"
    response.headers["Cache-Control"] = "no-store"
    return response
