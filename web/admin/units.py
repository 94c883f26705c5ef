"""组织机构: administrators read the unit tree and rename, move or (de)activate a unit."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine import unit_admin
from engine.errors import InvalidInput, NotFound, WhistleError
from web import permissions
from web.auth.session import allowed, current_actor
from web.db import now, read_session, write
from web.i18n import translate

admin_page = allowed(permissions.administers)
FIELDS = ("name", "short_name", "parent")


def register(bp: Blueprint) -> None:
    """Add the unit routes."""
    bp.add_url_rule("/units", "units", index, methods=["GET"])
    bp.add_url_rule("/units/<string(maxlength=32):code>", "unit", edit, methods=["GET"])
    bp.add_url_rule("/units/<string(maxlength=32):code>", "update_unit", update, methods=["POST"])


@admin_page
def index() -> str:
    """Every unit in tree order, with its kind, seats and whether it is in use."""
    return render_template("admin/units.html", rows=unit_admin.unit_tree(read_session()))


@admin_page
def edit(code: str) -> str:
    """The edit form of one unit (404 for an unknown code)."""
    unit = unit_admin.find_unit(read_session(), code)
    values = {"name": unit.name, "short_name": unit.short_name or "", "active": unit.active,
              "parent": next((r.parent_code for r in unit_admin.unit_tree(read_session()) if r.code == code), "")}
    return _form(code, values, {})


@admin_page
def update(code: str) -> str | Response:
    """Save the form; each wrong field says why and nothing is changed."""
    values = {k: (request.form.get(k) or "")[:200] for k in FIELDS}
    active = request.form.get("active") == "on"
    actor, at = current_actor(), now()
    try:
        write(lambda s: unit_admin.update_unit(s, actor, code, name=values["name"], short_name=values["short_name"],
                                               parent=values["parent"], active=active, now=at))
    except InvalidInput as error:
        errors = {e.field: translate(e.template, e.params) for e in error.errors}
        return _form(code, {**values, "active": active}, errors), 422  # type: ignore[return-value]
    except NotFound:
        raise
    except WhistleError as error:
        flash(translate(error.template, error.params), "error")
        return redirect(url_for("admin.unit", code=code))
    flash(_("Unit %(code)s saved.", code=code), "success")
    return redirect(url_for("admin.units"))


def _form(code: str, values: dict, errors: dict[str, str]) -> str:
    rows = unit_admin.unit_tree(read_session())
    below = _below(rows, code)
    parents = [r for r in rows if r.code not in below]
    return render_template("admin/unit.html", code=code, values=values, errors=errors, parents=parents,
                           unit=next(r for r in rows if r.code == code))


def _below(rows: list[unit_admin.UnitRow], code: str) -> set[str]:
    """The unit and every unit under it (a unit cannot move under those)."""
    children: dict[str | None, list[str]] = {}
    for row in rows:
        children.setdefault(row.parent_code, []).append(row.code)
    found, waiting = set(), [code]
    while waiting:
        current = waiting.pop()
        if current not in found:
            found.add(current)
            waiting += children.get(current, [])
    return found
