"""The modeler: edit a deployed process or draw a new one; Validate and Deploy answer with located problems."""
from __future__ import annotations

from flask import Response, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from engine import definitions
from engine.errors import Conflict, DefinitionInvalid
from engine.organisation_view import OrganisationView
from engine.validation import validate_bundle
from web.auth.session import current_actor
from web.db import now, read_session, services, write
from web.design.blank import BLANK_BPMN
from web.design.bundles import deployed_forms, from_xml, policy_clocks
from web.design.index import design_page
from web.design.problems import shown
from web.i18n import translate
from web.query import IdParam

VERSION = IdParam("version", "The version to edit; the newest when omitted.")


@design_page
def edit(key: str) -> str:
    """The modeler on a deployed version (``?version=N``, the newest by default)."""
    found = definitions.get(read_session(), key, VERSION.read())
    return render_template("design/modeler.html", definition=found, filename=found.filename,
                           xml_url=url_for("design.download", key=found.key, version=found.version))


@design_page
def new() -> str:
    """The modeler on a blank process."""
    return render_template("design/modeler.html", definition=None, filename="", xml_url=url_for("design.blank"))


@design_page
def blank() -> Response:
    """The diagram a new process starts from."""
    return Response(BLANK_BPMN, mimetype="application/xml")


@design_page
def validate() -> Response:
    """Check the modeler's XML as a deploy would (deployed forms as fallback); never stores anything.

    ``problems`` lists errors, then warnings (each with its ``severity``); ``ok`` is true when there is no error.
    """
    session = read_session()
    bundle = from_xml(request.get_data(), request.args.get("filename"))
    bundle.fallback_forms = deployed_forms(session)
    bundle.fallback_decisions = definitions.deployed_decisions(session)
    bundle.policy_clocks = policy_clocks(session)
    bundle.organisation = OrganisationView.read(session)
    ctx = services().ctx
    try:
        checked = validate_bundle(bundle, ctx.evaluator, allow_script_tasks=ctx.allow_script_tasks)
    except DefinitionInvalid as invalid:
        return jsonify({"ok": False, "problems": [p.as_json() for p in shown(invalid.problems, invalid.warnings)],
                        "message": _refused(invalid, _("%(count)s problem(s) found.", count=len(invalid.problems)))})
    current = definitions.latest(session, checked.key)
    unchanged = current is not None and current.bundle_sha256 == checked.bundle_sha256
    if unchanged:
        message = _("No problems found. This is the content of %(key)s version %(version)s: deploying changes "
                    "nothing.", key=checked.key, version=current.version)
    elif checked.warnings:
        message = _("No errors: %(key)s can be deployed. Read the %(count)s warning(s) first.", key=checked.key,
                    count=len(checked.warnings))
    else:
        message = _("No problems found: %(key)s can be deployed.", key=checked.key)
    return jsonify({"ok": True, "key": checked.key, "unchanged": unchanged,
                    "problems": [p.as_json() for p in shown([], checked.warnings)], "message": message})


def _refused(invalid: DefinitionInvalid, message: str) -> str:
    """``message``, plus how many warnings come with the errors."""
    if not invalid.warnings:
        return message
    return message + " " + _("%(count)s warning(s) as well.", count=len(invalid.warnings))


@design_page
def deploy() -> tuple[Response, int]:
    """Deploy the modeler's XML: a new version when it changed, a no-op when not, else located problems.

    Errors refuse the deploy (422); warnings come back in ``problems`` of a deploy that went ahead.
    """
    bundle = from_xml(request.get_data(), request.args.get("filename"))
    actor = current_actor()

    def unit(session: Session) -> definitions.DeployResult:
        bundle.policy_clocks = policy_clocks(session)
        return definitions.deploy_as(session, services().ctx, actor, bundle, now=now())

    try:
        result = write(unit)
    except DefinitionInvalid as invalid:
        message = _("Not deployed: %(count)s problem(s) found.", count=len(invalid.problems))
        return jsonify({"ok": False, "problems": [p.as_json() for p in shown(invalid.problems, invalid.warnings)],
                        "message": _refused(invalid, message)}), 422
    except Conflict as conflict:
        return jsonify({"ok": False, "problems": [], "message": translate(conflict.template, conflict.params)}), 409
    found = result.definition
    if result.created:
        message = _("Deployed %(key)s as version %(version)s.", key=found.key, version=found.version)
    else:
        message = _("Nothing changed: %(key)s version %(version)s already has this content.",
                    key=found.key, version=found.version)
    if result.warnings:
        message += " " + _("%(count)s warning(s): see the list.", count=len(result.warnings))
    body = {"ok": True, "created": result.created, "key": found.key, "version": found.version, "message": message,
            "problems": [p.as_json() for p in shown([], result.warnings)],
            "edit_url": url_for("design.edit", key=found.key), "view_url": url_for("design.show", key=found.key)}
    return jsonify(body), 201 if result.created else 200
