"""What an inbox page shows: the tab, the filters and the page number, read from and written to the URL."""
from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement

from engine.inbox import Filters, Scope
from engine.models import TaskStatus
from escalation.supervision import deadline_between
from web.formatting import SHANGHAI

PAGE_SIZE = 20
MAX_PAGE = 10_000
MAX_SEARCH = 100


class Tab(enum.StrEnum):
    """The three lists staff switch between."""

    MINE = "mine"  # claimed by me, waiting for me to finish
    DEPARTMENT = "department"  # open in my departments' queues, nobody has claimed them
    DONE = "done"  # completed by me


# Which engine inbox each tab reads.
INBOXES = {
    Tab.MINE: (Scope.MINE, TaskStatus.CLAIMED),
    Tab.DEPARTMENT: (Scope.DEPARTMENT, TaskStatus.OPEN),
    Tab.DONE: (Scope.MINE, TaskStatus.COMPLETED),
}


# The tabs that hold work waiting for someone: they carry a count, and a bare /tasks opens the first that has any.
WORK_TABS = (Tab.MINE, Tab.DEPARTMENT)
COUNT_CAP = 100  # a tab badge counts this far and then says "99+"


def landing_tab(counts: Mapping[Tab, int]) -> Tab:
    """The tab a reader who asked for none lands on: the first holding work, else 我的待办."""
    return next((tab for tab in WORK_TABS if counts.get(tab)), Tab.MINE)


class Due(enum.StrEnum):
    """How close to its deadline a task must be to be listed."""

    ALL = "all"
    OVERDUE = "overdue"  # a running clock is past its deadline
    TODAY = "today"  # a running clock runs out before midnight (Beijing time), not yet late


@dataclass(frozen=True)
class InboxQuery:
    """The state of an inbox page; anything unreadable in the URL falls back to the default."""

    tab: Tab = Tab.MINE
    tab_chosen: bool = True  # False: the URL named no tab, so the page picks one (landing_tab)
    category: str = ""
    street: str = ""
    due: Due = Due.ALL
    q: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> InboxQuery:
        """Read the page state from query arguments."""
        try:
            page = min(max(int(args.get("page", "1")), 1), MAX_PAGE)
        except ValueError:
            page = 1
        return cls(
            tab=_choice(Tab, args.get("tab"), Tab.MINE),
            tab_chosen=bool(args.get("tab")),
            category=args.get("category", "").strip()[:32],
            street=args.get("street", "").strip()[:32],
            due=_choice(Due, args.get("due"), Due.ALL),
            q=" ".join(args.get("q", "").split())[:MAX_SEARCH],
            page=page,
        )

    @property
    def inbox(self) -> tuple[Scope, TaskStatus]:
        """The engine inbox of the tab."""
        return INBOXES[self.tab]

    @property
    def offset(self) -> int:
        """Rows before this page."""
        return (self.page - 1) * PAGE_SIZE

    @property
    def filtered(self) -> bool:
        """Whether any filter narrows the list."""
        return bool(self.category or self.street or self.q or self.due != Due.ALL)

    def filters(self, now: datetime) -> Filters:
        """The engine filters, with the deadline condition for ``due`` as of ``now``."""
        conditions: tuple[ColumnElement[bool], ...] = ()
        if self.due == Due.OVERDUE:
            conditions = (deadline_between(None, now),)
        elif self.due == Due.TODAY:
            conditions = (deadline_between(now, end_of_day(now)),)
        return Filters(category=self.category or None, street=self.street or None, search=self.q,
                             conditions=conditions)

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query arguments for a link to this page with ``changes``, leaving out defaults."""
        changed = replace(self, **changes)
        found = {"tab": changed.tab.value, "category": changed.category, "street": changed.street,
                 "due": changed.due.value if changed.due != Due.ALL else "", "q": changed.q,
                 "page": changed.page if changed.page > 1 else ""}
        return {key: value for key, value in found.items() if value}


def end_of_day(now: datetime) -> datetime:
    """The next midnight in Beijing time: "today" for people at work in the district."""
    local = now.astimezone(SHANGHAI)
    return datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=SHANGHAI)


def _choice(kind: type[enum.StrEnum], raw: str | None, default: Any) -> Any:
    try:
        return kind(raw) if raw else default
    except ValueError:
        return default
