"""Landing, notifications panel and the unread counter every page polls."""
from __future__ import annotations

from flask import Blueprint, Flask, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from escalation import notify
from web.auth.session import current_actor, login_required
from web.db import now, read_session, write
from web.home.notification_text import TASK_KINDS, notification_kind, notification_text
from web.navigation import nav_items_for, start_page


def init_app(app: Flask) -> None:
    """Register ``/`` and the notification pages, and the menu helper for templates."""
    bp = Blueprint("home", __name__, template_folder="templates")
    bp.add_url_rule("/notifications", "notifications", notifications, methods=["GET"])
    bp.add_url_rule("/notifications/count", "notification_count", notification_count, methods=["GET"])
    bp.add_url_rule("/notifications/<id:notification_id>/read", "read", read, methods=["POST"])
    bp.add_url_rule("/notifications/read-all", "read_all", read_all, methods=["POST"])
    app.register_blueprint(bp)
    app.jinja_env.filters.update(notification_text=notification_text, notification_kind=notification_kind)
    app.add_url_rule("/", "home", home)
    app.jinja_env.globals["nav_items"] = lambda: nav_items_for(g.get("actor"))


def home() -> Response:
    """Signed in: the first page of the user's menu; signed out: the login page."""
    if g.get("actor") is None:
        return redirect(url_for("auth.login"))
    return redirect(start_page(current_actor()))


@login_required
def notifications() -> str:
    """The notifications panel: reminders, 督办 and extension decisions, newest first."""
    rows = notify.notifications_for(read_session(), current_actor().user_id, unread_only=False, limit=100)
    return render_template("home/notifications.html", rows=rows, TASK_KINDS=TASK_KINDS)


@login_required
def notification_count() -> str:
    """The unread counter fragment for the bell."""
    unread = len(notify.notifications_for(read_session(), current_actor().user_id, unread_only=True, limit=100))
    label = _("Notifications")
    return f'{label} <span class="count">{unread}</span>' if unread else label


@login_required
def read(notification_id: int) -> Response:
    """Mark one notification read and go back to the panel."""
    user_id = current_actor().user_id
    write(lambda s: notify.mark_read(s, user_id, notification_id, now()))
    return redirect(url_for("home.notifications"))


@login_required
def read_all() -> Response:
    """Mark every unread notification of the user read (全部标为已读) and go back to the panel."""
    user_id = current_actor().user_id
    count = write(lambda s: notify.mark_all_read(s, user_id, now()))
    flash(_("Marked %(num)s notifications as read.", num=count), "success")
    return redirect(url_for("home.notifications"))
