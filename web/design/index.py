"""The process list: versions with their running cases, upload to deploy, download any version."""
from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from engine import definitions
from engine.errors import DefinitionInvalid
from web import permissions
from web.auth.session import allowed, current_actor
from web.db import now, read_session, services, write
from web.design.bundles import UploadRefused, from_upload, policy_clocks
from web.design.problems import ShownProblem, shown
from web.design.processes import process_summaries

design_page = allowed(permissions.designs)


def _page(problems: list[ShownProblem] | None = None, error: str | None = None, status: int = 200,
          notice: str | None = None) -> tuple[str, int]:
    processes = process_summaries(read_session())
    return render_template("design/index.html", processes=processes, problems=problems or [], error=error,
                           notice=notice), status


@design_page
def index() -> tuple[str, int]:
    """Every process with its versions, newest first."""
    return _page()


@design_page
def upload() -> Response | tuple[str, int]:
    """Deploy an uploaded .bpmn (and form files): a new version when it changed, else nothing."""
    try:
        bundle = from_upload(request.files.get("file"), request.files.getlist("forms"))
    except UploadRefused as refused:
        return _page(error=_(refused.message), status=400)
    actor = current_actor()

    def unit(session: Session) -> definitions.DeployResult:
        bundle.policy_clocks = policy_clocks(session)
        return definitions.deploy_as(session, services().ctx, actor, bundle, now=now())

    try:
        result = write(unit)
    except DefinitionInvalid as invalid:
        return _page(problems=shown(invalid.problems, invalid.warnings), status=422,
                     error=_("%(file)s was not deployed: fix these problems.", file=bundle.filename))
    found = result.definition
    if result.created:
        done = _("Deployed %(key)s as version %(version)s.", key=found.key, version=found.version)
    else:
        done = _("Nothing changed: %(key)s version %(version)s already has this content.",
                 key=found.key, version=found.version)
    if result.warnings:  # the page itself lists them, so the designer reads them before moving on
        notice = done + " " + _("%(count)s warning(s): see the list.", count=len(result.warnings))
        return _page(problems=shown([], result.warnings), notice=notice)
    flash(done, "success" if result.created else "info")
    return redirect(url_for("design.index"))


@design_page
def download(key: str, version: int) -> Response:
    """The .bpmn file of one version, byte for byte as deployed."""
    found = definitions.get(read_session(), key, version)
    response = Response(found.bpmn, mimetype="application/xml")
    response.headers["Content-Disposition"] = f'attachment; filename="{found.key}-v{found.version}.bpmn"'
    return response
