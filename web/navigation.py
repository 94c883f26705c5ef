"""The main menu: what each person may open, in the order people use it (web.permissions decides)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l

from engine.actors import Actor
from web import permissions

# (endpoint, label, who sees it); endpoints not registered yet are left out.
MENU: list[tuple[str, object, Callable[[Actor], bool]]] = [
    ("inbox.index", _l("My tasks"), permissions.works_on_tasks),
    ("street.new", _l("Blow the whistle"), permissions.blows_whistles),
    ("street.index", _l("Our whistles"), permissions.follows_whistles),
    ("public.counter_index", _l("Requests for residents"), permissions.takes_requests_in),
    ("supervise.index", _l("Supervision"), permissions.supervises),
    ("design.index", _l("Processes"), permissions.designs),
    ("operate.incidents", _l("Incidents"), permissions.designs),
    ("operate.migrations", _l("Migrate cases"), permissions.designs),
    ("admin.users", _l("Users"), permissions.administers),
    ("admin.units", _l("Organisation"), permissions.administers),
]


@dataclass(frozen=True)
class NavItem:
    """One menu entry."""

    url: str
    label: str
    active: bool


def nav_items_for(actor: Actor | None) -> list[NavItem]:
    """The menu entries ``actor`` may open."""
    if actor is None:
        return []
    known = current_app.view_functions
    entries = [(url_for(endpoint), str(label)) for endpoint, label, check in MENU
               if endpoint in known and check(actor)]
    # Only the longest matching entry is active: /whistles/new is 吹哨, not also 我的吹哨.
    matching = [url for url, _ in entries if request.path == url or request.path.startswith(url.rstrip("/") + "/")]
    active = max(matching, key=len) if matching else None
    return [NavItem(url, label, url == active) for url, label in entries]


def start_page(actor: Actor) -> str:
    """Where a signed-in user lands: supervision for wide oversight, else the first menu entry they may open."""
    if permissions.oversees_widely(actor) and "supervise.index" in current_app.view_functions:
        return url_for("supervise.index")
    items = nav_items_for(actor)
    return items[0].url if items else url_for("home.notifications")
