"""Pages: the user list, one user, and the add-user form (the actions on a user are in web.admin.actions)."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy.orm import Session

from engine import user_listing
from engine.accounts import MAX_DISPLAY_NAME, MAX_PASSWORD, MAX_TOKEN_LABEL, MIN_PASSWORD
from engine.roles import Role, role_book
from web import permissions
from web.admin import actions
from web.admin.choices import ACTION_LABELS, units
from web.admin.filters import UserFilters
from web.auth.session import allowed, current_actor
from web.db import now, read_session, services

PAGE_SIZE = 50
admin_page = allowed(permissions.administers)


def register(bp: Blueprint) -> None:
    """Add the user administration routes."""
    bp.add_url_rule("/users", "users", index, methods=["GET"])
    # Not /users/new: "new" is a possible login name, and that user's page would be out of reach.
    bp.add_url_rule("/new-user", "new_user", new_user, methods=["GET"])
    bp.add_url_rule("/new-user", "create_user", actions.create_user, methods=["POST"])
    bp.add_url_rule("/users/<username:username>", "user", show, methods=["GET"])
    actions.register(bp)
    bp.app_context_processor(lambda: {"admin_limits": {
        "display_name": MAX_DISPLAY_NAME, "password_min": MIN_PASSWORD, "password_max": MAX_PASSWORD,
        "label": MAX_TOKEN_LABEL}})


def active_roles(session: Session) -> list[Role]:
    """The roles a seat may be given now, by code."""
    return [r for r in role_book(session) if r.active]


@admin_page
def index() -> str:
    """Users (``?q=&department=&role=&active=&offset=``), by login name."""
    session = read_session()
    filters = UserFilters.from_args(request.args, role_book(session))
    page = user_listing.list_users(session, current_actor(), text=filters.q or None,
                                 department=filters.department or None, role=filters.role_value,
                                 active=filters.active_value, limit=PAGE_SIZE, offset=filters.offset, now=now(),
                                 policy=services().settings.session_policy)
    return render_template("admin/users.html", page=page, filters=filters, units=units(session),
                           roles=active_roles(session))


@admin_page
def new_user() -> str:
    """The add-user form."""
    return actions.render_new_user({}, {})


@admin_page
def show(username: str) -> str:
    """One user: seats, sessions, tokens, history, and a form for each action."""
    session = read_session()
    detail = user_listing.user_detail(session, current_actor(), username, now=now(),
                                    policy=services().settings.session_policy)
    return render_template("admin/user.html", detail=detail, units=units(session), roles=active_roles(session),
                           action_labels=ACTION_LABELS,
                           is_self=detail.user.id == current_actor().user_id)
