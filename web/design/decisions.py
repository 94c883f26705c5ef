"""Editing a process's DMN decision tables in the browser (dmn-js) and deploying the process with the change."""
from __future__ import annotations

from flask import Response, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from engine import definitions, spiff
from engine.errors import Conflict, DefinitionInvalid, NotFound
from engine.validation import Bundle
from web.auth.session import current_actor
from web.db import now, read_session, services, write
from web.design.bundles import policy_clocks
from web.design.index import design_page
from web.design.problems import shown
from web.i18n import translate

MAX_DMN_BYTES = 1024 * 1024


def embedded(session: Session, key: str) -> tuple[definitions.ProcessDefinition, dict[str, str]]:
    """The newest version of ``key`` and the DMN files its business rule tasks embed, by decision id."""
    found = definitions.get(session, key)
    return found, spiff.embedded_decisions(found.spec)


def decision_ids(session: Session, key: str, version: int) -> list[str]:
    """The decisions one version decides (for its viewer page)."""
    return sorted(spiff.embedded_decisions(definitions.get(session, key, version).spec))


def _dmn_of(key: str, ref: str) -> tuple[definitions.ProcessDefinition, str]:
    found, tables = embedded(read_session(), key)
    if ref not in tables:
        raise NotFound("Decision {ref} is not used by {key}.", ref=ref, key=key)
    return found, tables[ref]


@design_page
def edit(key: str, ref: str) -> str:
    """The decision table editor on the DMN file the newest version decides ``ref`` with."""
    found, _text = _dmn_of(key, ref)
    return render_template("design/decision.html", definition=found, ref=ref,
                           xml_url=url_for("design.decision_xml", key=key, ref=ref),
                           deploy_url=url_for("design.deploy_decision", key=key, ref=ref))


@design_page
def xml(key: str, ref: str) -> Response:
    """The DMN file, as deployed."""
    return Response(_dmn_of(key, ref)[1], mimetype="application/xml")


@design_page
def deploy(key: str, ref: str) -> tuple[Response, int]:
    """Deploy the newest version of ``key`` again with the edited DMN file for ``ref`` (422 with located problems)."""
    found, _text = _dmn_of(key, ref)
    raw = request.get_data()[: MAX_DMN_BYTES + 1]
    bundle = Bundle(filename=found.filename, bpmn=found.bpmn, decisions={f"decisions/{ref}.dmn": raw})
    actor = current_actor()

    def unit(session: Session) -> definitions.DeployResult:
        bundle.policy_clocks = policy_clocks(session)
        bundle.fallback_forms = dict(found.forms or {})
        bundle.fallback_decisions = {r: t for r, t in embedded(session, key)[1].items() if r != ref}
        return definitions.deploy_as(session, services().ctx, actor, bundle, now=now())

    try:
        result = write(unit)
    except DefinitionInvalid as invalid:
        return jsonify({"ok": False, "problems": [p.as_json() for p in shown(invalid.problems, invalid.warnings)],
                        "message": _("Not deployed: %(count)s problem(s) found.", count=len(invalid.problems))}), 422
    except Conflict as conflict:
        return jsonify({"ok": False, "problems": [], "message": translate(conflict.template, conflict.params)}), 409
    deployed = result.definition
    message = (_("Deployed %(key)s as version %(version)s.", key=deployed.key, version=deployed.version)
               if result.created else
               _("Nothing changed: %(key)s version %(version)s already has this content.", key=deployed.key,
                 version=deployed.version))
    return jsonify({"ok": True, "created": result.created, "version": deployed.version, "message": message,
                    "problems": [], "view_url": url_for("design.show", key=key)}), 201 if result.created else 200
