"""The diagram of one version with live counts: tasks waiting at each node, overdue ones in red."""
from __future__ import annotations

from flask import Response, jsonify, render_template

from engine import definitions
from engine.diagram_stats import waiting_counts
from engine.errors import NotFound
from escalation.diagram_overdue import overdue_counts
from web.db import now, read_session
from web.design.decisions import decision_ids
from web.design.index import design_page
from web.design.processes import process_summary
from web.formatting import local_time
from web.query import IdParam

VERSION = IdParam("version", "The version to show; the newest when omitted.")


@design_page
def show(key: str) -> str:
    """The viewer page; ``?version=N`` picks a version (the newest by default)."""
    summary = process_summary(read_session(), key)
    if summary is None:
        raise NotFound("Process {key} is not deployed.", key=key)
    version = VERSION.read() or summary.latest.version
    chosen = next((v for v in summary.versions if v.version == version), None)
    if chosen is None:
        raise NotFound("Process {key} version {version} is not deployed.", key=key, version=version)
    newest = chosen.version == summary.latest.version  # decision tables are edited on the newest version
    return render_template("design/viewer.html", process=summary, chosen=chosen,
                           decisions=decision_ids(read_session(), key, chosen.version) if newest else [])


@design_page
def counts(key: str, version: int) -> Response:
    """Waiting and overdue tasks per element of one version, as JSON for the diagram overlays."""
    session = read_session()
    definition = definitions.get(session, key, version)
    at = now()
    waiting = waiting_counts(session, definition.id)
    # Overdue lives in escalation's tables: combined here, because engine never imports escalation.
    overdue = overdue_counts(session, definition.id, at)
    elements = {element: {"waiting": waiting.get(element, 0), "overdue": overdue.get(element, 0)}
                for element in sorted(waiting.keys() | overdue.keys())}
    return jsonify({"key": definition.key, "version": definition.version, "at": local_time(at, "%Y-%m-%d %H:%M:%S"),
                    "elements": elements, "waiting": sum(waiting.values()), "overdue": sum(overdue.values())})
