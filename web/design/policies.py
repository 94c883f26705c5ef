"""SLA policies: the deployed versions with their source, a checker for a policy text, and deploying it."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from engine.errors import DefinitionInvalid, Problem
from escalation.policies import read_policy
from escalation.policy_store import PolicyDeployResult, deploy_policy_text
from web.db import now, read_session, write
from web.design.index import design_page
from web.design.policy_versions import policy_versions
from web.design.problems import shown

# What the checker calls the pasted text in its problem locations (and the name a deployed text is kept under).
PASTED_NAME = "policy.yaml"


@design_page
def policies() -> tuple[str, int] | Response:
    """Deployed policy versions; POST checks a pasted policy text, or deploys it (``action=deploy``)."""
    text = request.form.get("source", "") if request.method == "POST" else ""
    if request.method == "POST" and request.form.get("action") == "deploy":
        return _deploy(text)
    result = None
    status = 200
    if request.method == "POST":
        policy, problems = read_policy(text, PASTED_NAME)
        if policy is not None:
            result = {"ok": True, "message": _("No problems found: a valid policy for process %(key)s.",
                                               key=policy.process)}
        else:
            result = _refused(problems)
            status = 422
    return _page(text, result, status)


def _deploy(text: str) -> tuple[str, int] | Response:
    """Check the text as the CLI does and store it as version N+1 (nothing when unchanged); problems keep the text."""
    at = now()

    def unit(session: Session) -> PolicyDeployResult:
        return deploy_policy_text(session, text, PASTED_NAME, now=at)

    try:
        stored = write(unit)
    except DefinitionInvalid as error:
        read_session().rollback()
        refused = _refused(error.problems)
        refused["message"] = _("Nothing was deployed: %(count)s problem(s) found.", count=len(error.problems))
        return _page(text, refused, 422)
    row = stored.policy
    if stored.created:
        flash(_("Policy for %(key)s deployed as version %(version)s.", key=row.process_key, version=row.version),
              "success")
    else:
        flash(_("Unchanged: the policy for %(key)s is already version %(version)s.", key=row.process_key,
                version=row.version), "info")
    return redirect(url_for("design.policies", _anchor=f"policy-{row.process_key}-{row.version}"))


def _refused(problems: list[Problem]) -> dict[str, object]:
    """The checker's answer for a text with problems, each located."""
    return {"ok": False, "message": _("%(count)s problem(s) found.", count=len(problems)),
            "problems": shown(problems)}


def _page(text: str, result: dict[str, object] | None, status: int) -> tuple[str, int]:
    """The page: the checker (with ``text`` and ``result``) above the deployed versions."""
    versions = policy_versions(read_session())
    if request.method == "GET" and versions:
        text = versions[0].source  # a starting point: the newest deployed policy
    return render_template("design/policies.html", versions=versions, source=text, result=result), status
