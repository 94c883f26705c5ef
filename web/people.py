"""Display names for the login names that boards and timelines carry, as pages show people."""
from __future__ import annotations

from collections.abc import Iterable

from engine import accounts
from web.db import read_session


def people(usernames: Iterable[str | None]) -> dict[str, str]:
    """``{login: display name}`` for a page's rows in one query; templates fall back to the login itself."""
    return accounts.display_names_by_login(read_session(), list(usernames))
