"""Cases that cannot go on, made on purpose: broken versions stored past the deploy checks, and their data."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from engine import definitions, spiff, validation
from engine.bpmn_xml import parse_bpmn
from engine.models import ProcessDefinition
from engine.organisation_view import OrganisationView
from tests.support import FIXTURES, Flow

BROKEN = FIXTURES / "bpmn" / "incidents"
FORMS = FIXTURES / "bpmn" / "incidents" / "forms"
START = {"department": "ZJW", "description": "小区门口道路积水，需要住建委疏通排水管道"}


def deploy_unchecked(flow: Flow, name: str, *, deployed_by: str | None = None) -> int:
    """Store ``incidents/<name>.bpmn`` as the next version, the way deploy does but without refusing it.

    The structural checks at deploy refuse these models; a case must still never hide when one
    slips through (an older version, a changed library), so the tests store them directly.
    """
    path = BROKEN / f"{name}.bpmn"
    bundle = definitions.bundle_from_path(Path(path), forms_dir=FORMS)
    tree, _problems = parse_bpmn(bundle.bpmn, bundle.filename)
    assert tree is not None
    with flow.db.transaction() as session:
        organisation = OrganisationView.read(session)
    checker = validation._Checker(tree, bundle.filename, flow.ctx.evaluator, False, organisation)
    checker.run()  # for its catalog; its problems are what this helper deliberately ignores
    key = checker.top_process
    assert key is not None
    forms = {k: json.loads(v) for k, v in bundle.forms.items()}
    user_id = flow.actor(deployed_by).user_id if deployed_by else None
    with flow.db.transaction() as session:
        current = definitions.latest(session, key)
        row = ProcessDefinition(
            key=key, version=current.version + 1 if current else 1, name=checker.process_names.get(key) or key,
            filename=path.name, sha256=hashlib.sha256(bundle.bpmn).hexdigest(),
            bundle_sha256=hashlib.sha256(bundle.bpmn + b"unchecked").hexdigest(), bpmn=bundle.bpmn,
            spec=spiff.build_specs(tree, bundle.filename, key), catalog=checker.catalog(), forms=forms,
            deployed_at=flow.clock.now(), deployed_by_id=user_id)
        session.add(row)
        session.flush()
        return row.id
