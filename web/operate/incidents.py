"""Pages: the incidents page (运维 · 异常), where designers and admins see every case that cannot go on."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template
from flask_babel import gettext

from engine import definitions, incidents, public_demands
from engine.models import Incident, IncidentStatus
from web import permissions
from web.auth.session import allowed, current_actor
from web.db import read_session, services
from web.formatting import N_
from web.i18n import translate
from web.query import ChoiceParam, IntParam, TextParam

PAGE_SIZE = 50
KIND_NAMES = {
    incidents.STUCK: N_("Cannot go on"),
    incidents.STEP_FAILED: N_("A step failed"),
    incidents.TIMER_FAILED: N_("Timer failed"),
    incidents.TIMER_UNREADABLE: N_("Timer cannot be read"),
    incidents.DEADLINE_FAILED: N_("Deadline abandoned"),
}
STATUS_NAMES = {IncidentStatus.OPEN.value: N_("Unresolved"), IncidentStatus.RESOLVED.value: N_("Resolved")}

KIND = ChoiceParam("kind", "Only incidents of this kind.", choices=incidents.KINDS)
STATUS = ChoiceParam("status", "Open (default), resolved or all.", choices=("open", "resolved", "all"),
                     default="open")
PROCESS = TextParam("process", "Only cases of this process key.", max_length=128)
OFFSET = IntParam("offset", "Rows to skip.", low=0, high=100_000, default=0)


def register(bp: Blueprint) -> None:
    """Add this part's routes and the filters that show an incident in words."""
    bp.add_url_rule("/incidents", "incidents", index, methods=["GET"])
    bp.add_app_template_filter(incident_reason, "incident_reason")
    bp.add_app_template_filter(incident_kind, "incident_kind")


def incident_reason(incident: Incident) -> str:
    """The incident's reason in the reader's language."""
    return translate(incident.template, incidents.reason_params(incident.params))


def incident_kind(kind: str) -> str:
    """The translated name of a kind of incident."""
    return gettext(KIND_NAMES[kind]) if kind in KIND_NAMES else kind


def status_filter(raw: str | None) -> IncidentStatus | None:
    """``open``/``resolved`` as a status, ``all`` as None."""
    return None if raw == "all" else IncidentStatus(raw or "open")


@allowed(permissions.designs)
def index() -> str:
    """Incidents, latest first (``?kind=&status=&process=&offset=``), each with the way out."""
    status, kind, process, offset = STATUS.read(), KIND.read(), PROCESS.read(), OFFSET.read() or 0
    session = read_session()
    where = incidents.IncidentFilter(status=status_filter(status), kind=kind, process_key=process)
    rows, total = incidents.listing(session, where, limit=PAGE_SIZE, offset=offset)
    args: dict[str, Any] = {k: v for k, v in (("kind", kind), ("status", status if status != "open" else None),
                                              ("process", process)) if v}
    return render_template(
        "operate/incidents.html", rows=rows, total=total, offset=offset, page_size=PAGE_SIZE, args=args,
        kinds=[(k, incident_kind(k)) for k in incidents.KINDS],
        statuses=[(k, gettext(v)) for k, v in STATUS_NAMES.items()] + [("all", gettext("All"))],
        processes=[(k, k) for k in incidents.process_keys(session)],
        selected={"kind": kind or "", "status": status or "open", "process": process or ""},
        # The repair page (web/operate/repair.py), when this build has it.
        repair_page="operate.case" if "operate.case" in current_app.view_functions else None,
        sees_cases=current_actor().supervises,  # designers follow no case: they reach it by the repair page
        channels=closed_channels(session))


def closed_channels(session: Any) -> list[tuple[str, str, str]]:
    """(process, its name, why) of each public channel that cannot take residents' demands in now: not a case,
    so not an incident, but as stuck, and only an operator can mend it."""
    found = []
    for channel in services().public:
        for problem in public_demands.channel_problems(session, services().ctx, channel):
            definition = definitions.latest(session, channel.process)
            name = definition.name if definition is not None and definition.name else channel.process
            found.append((channel.process, name, translate(problem.template, problem.params)))
    return found
