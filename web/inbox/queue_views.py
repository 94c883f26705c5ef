"""The inbox page and the claim buttons on its rows (htmx swaps the row; without JavaScript, a redirect)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from engine import catalog, inbox, tasks, work_units
from engine.actors import Actor
from engine.errors import Conflict, Forbidden, StaleRevision
from engine.inbox import Filters
from engine.models import Department
from escalation import extensions, supervision
from web import permissions
from web.auth.session import current_actor, login_required
from web.boundary import local_target
from web.db import now, read_session, services, write
from web.i18n import translate
from web.inbox.listing import COUNT_CAP, INBOXES, PAGE_SIZE, WORK_TABS, Due, InboxQuery, Tab, landing_tab
from web.inbox.rows import row_context


@login_required
def index() -> str:
    """One page of one tab, filtered; due badges for the whole page from one clock query."""
    query = InboxQuery.from_args(request.args)
    session, actor = read_session(), current_actor()
    counts = {tab: inbox.count_rows(session, inbox.filtered(actor, *INBOXES[tab], Filters()), cap=COUNT_CAP)
              for tab in WORK_TABS}
    if not query.tab_chosen:
        query = replace(query, tab=landing_tab(counts))
    scope, status = query.inbox
    rows, more = inbox.page_rows(session, inbox.filtered(actor, scope, status, query.filters(now())),
                                 limit=PAGE_SIZE, offset=query.offset)
    clocks = supervision.clocks_for_badges(session, [row.id for row in rows])
    departments = catalog.departments(session)  # read once: the street filter and the rows' names
    streets = street_choices(actor, departments, work_units.starting_kinds(session))
    decides = permissions.decides_extensions(actor)
    pending = len(extensions.pending_for(session, actor)) if decides else 0
    return render_template("inbox/index.html", query=query, rows=rows, more=more, clocks=clocks, tabs=list(Tab),
                           dues=list(Due), streets=streets, decides=decides, pending=pending, counts=counts,
                           count_cap=COUNT_CAP,
                           **row_context(session, actor, departments))


def street_choices(actor: Actor, departments: list[Department], kinds: frozenset[str]) -> list[tuple[str, str]]:
    """The streets one may filter by: a street's own people see their own street(s), not every street."""
    streets = [d for d in departments if d.kind in kinds]
    own = [d for d in streets if d.id in actor.department_ids]
    if own:
        streets = own
    return [(d.code, d.name) for d in streets]


@login_required
def claim(task_id: int) -> Response | tuple[str, int]:
    """Take the task; a 409 row says who was faster."""
    return _change(task_id, tasks.claim, _("You took the task."))


@login_required
def unclaim(task_id: int) -> Response | tuple[str, int]:
    """Put the task back in the department queue."""
    return _change(task_id, tasks.unclaim, _("The task is back in the department queue."))


def _change(task_id: int, action: Callable[..., object], done: str) -> Response | tuple[str, int]:
    actor, ctx = current_actor(), services().ctx

    def unit(session: Session) -> tuple[Any, ...]:
        # The row is read in the same transaction: the request's read session may hold an older snapshot.
        status, message = 200, ""
        try:
            action(session, ctx, actor, task_id, now=now())
        except StaleRevision:
            raise
        except (Conflict, Forbidden) as error:
            status = 409 if isinstance(error, Conflict) else 403
            message = translate(error.template, error.params)
        row = inbox.page_row(session, actor, task_id)
        return status, message, row, supervision.clocks_for_badges(session, [task_id]), row_context(session, actor)

    status, message, row, clocks, context = write(unit)
    if not request.headers.get("HX-Request"):
        flash(message or done, "error" if message else "success")
        return redirect(_back())
    return render_template("inbox/row.html", row=row, clocks=clocks, message=message, back=_current_page(),
                           **context), status


def _current_page() -> str:
    """The inbox page an htmx request came from (its row forms keep working without JavaScript)."""
    parts = urlsplit(request.headers.get("HX-Current-URL", ""))
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return path if path.startswith("/tasks") else url_for("inbox.index")


def _back() -> str:
    """Where a form without JavaScript returns: the page it came from, if it is one of ours."""
    return local_target(request.form.get("next"), url_for("inbox.index"), prefix="/tasks")
