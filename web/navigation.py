"""The main menu: what each role may open, in the order people use it."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l

from engine.actors import Actor
from engine.roles import Role

_STAFF = {Role.DEPT_DISPATCHER, Role.DEPT_STAFF, Role.DEPT_HEAD, Role.STREET_OFFICER, Role.STREET_LEADER,
          Role.GRID_WORKER, Role.DISPATCH_CENTER}
_STREET = {Role.STREET_OFFICER, Role.STREET_LEADER}
_SUPERVISION = {Role.SUPERVISOR, Role.DISTRICT_LEADER, Role.DISPATCH_CENTER, Role.ADMIN, Role.DEPT_HEAD}
_DESIGN = {Role.DESIGNER, Role.ADMIN}

# (endpoint, label, roles that see it); endpoints not registered yet are left out.
MENU = [
    ("inbox.index", _l("My tasks"), _STAFF),
    ("street.new", _l("Blow the whistle"), {Role.STREET_OFFICER}),
    ("street.index", _l("Our whistles"), _STREET),
    ("supervise.index", _l("Supervision"), _SUPERVISION),
    ("design.index", _l("Processes"), _DESIGN),
    ("operate.incidents", _l("Incidents"), _DESIGN),
    ("operate.migrations", _l("Migrate cases"), _DESIGN),
    ("admin.users", _l("Users"), {Role.ADMIN}),
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
    entries = [(url_for(endpoint), str(label)) for endpoint, label, roles in MENU
               if endpoint in known and actor.roles & roles]
    # Only the longest matching entry is active: /whistles/new is 吹哨, not also 我的吹哨.
    matching = [url for url, _ in entries if request.path == url or request.path.startswith(url.rstrip("/") + "/")]
    active = max(matching, key=len) if matching else None
    return [NavItem(url, label, url == active) for url, label in entries]


def start_page(actor: Actor) -> str:
    """Where a signed-in user lands: the first menu entry they may open."""
    items = nav_items_for(actor)
    return items[0].url if items else url_for("home.notifications")
