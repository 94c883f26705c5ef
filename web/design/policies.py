"""SLA policies: the deployed versions with their source, and a checker for a policy text."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _

from escalation.policies import read_policy
from web.auth.session import roles_required
from web.db import read_session
from web.design.index import DESIGNERS
from web.design.policy_versions import policy_versions
from web.design.problems import shown

# What the checker calls the pasted text in its problem locations.
PASTED_NAME = "policy.yaml"


@roles_required(*DESIGNERS)
def policies() -> tuple[str, int]:
    """Deployed policy versions; POST checks a pasted policy text and lists its located problems."""
    text = request.form.get("source", "") if request.method == "POST" else ""
    result = None
    status = 200
    if request.method == "POST":
        policy, problems = read_policy(text, PASTED_NAME)
        if policy is not None:
            result = {"ok": True, "message": _("No problems found: a valid policy for process %(key)s.",
                                               key=policy.process)}
        else:
            result = {"ok": False, "message": _("%(count)s problem(s) found.", count=len(problems)),
                      "problems": shown(problems)}
            status = 422
    versions = policy_versions(read_session())
    if request.method == "GET" and versions:
        text = versions[0].source  # a starting point: the newest deployed policy
    return render_template("design/policies.html", versions=versions, source=text, result=result), status
