"""API: list, upload and download process definitions."""
from __future__ import annotations

from pathlib import PurePath

from flask import Blueprint, Response, abort, jsonify, request
from sqlalchemy.orm import Session

from engine import definitions
from engine.validation import Bundle
from web import problems
from web.api import payloads
from web.api.auth import current_actor
from web.db import now, read_session, services, write
from web.design.bundles import policy_clocks
from web.query import IdParam, TextParam

VERSION = IdParam("version", "Version; the newest when omitted.")
FILENAME = TextParam("filename", "Name for a raw XML body.", max_length=255)

_XML_TYPES = {"application/xml", "text/xml", "application/octet-stream", "application/bpmn+xml"}


def register(bp: Blueprint) -> None:
    """Add the definition routes."""
    bp.add_url_rule("/definitions", "list_definitions", list_definitions, methods=["GET"])
    bp.add_url_rule("/definitions", "deploy_definition", deploy_definition, methods=["POST"])
    bp.add_url_rule("/definitions/<key>", "get_definition", get_definition, methods=["GET"])
    bp.add_url_rule("/definitions/<key>/bpmn", "download_bpmn", download_bpmn, methods=["GET"])


def list_definitions() -> Response:
    """Every deployed version with its running-instance count."""
    rows = definitions.list_summaries(read_session())
    return jsonify({"items": [payloads.definition(d, running=n) for d, n in rows]})


def get_definition(key: str) -> Response:
    """The newest version of a process (or ``?version=N``)."""
    found = definitions.get(read_session(), key, VERSION.read())
    return jsonify(payloads.definition(found))


def download_bpmn(key: str) -> Response:
    """The BPMN file of a version, as deployed."""
    found = definitions.get(read_session(), key, VERSION.read())
    response = Response(found.bpmn, mimetype="application/xml")
    response.headers["Content-Disposition"] = f'attachment; filename="{found.key}-v{found.version}.bpmn"'
    return response


def deploy_definition() -> tuple[Response, int]:
    """Upload a .bpmn (multipart ``file`` plus optional ``forms`` files, or a raw XML body).

    Errors refuse it (422, located ``problems`` and ``warnings``); warnings alone come back in ``warnings``.
    """
    bundle = _bundle_from_request()
    actor = current_actor()

    def unit(session: Session) -> definitions.DeployResult:
        bundle.policy_clocks = policy_clocks(session)
        return definitions.deploy_as(session, services().ctx, actor, bundle, now=now())

    result = write(unit)
    body = payloads.definition(result.definition)
    body["created"] = result.created
    body["warnings"] = problems.located(result.warnings)
    return jsonify(body), 201 if result.created else 200


def _bundle_from_request() -> Bundle:
    if request.files:
        upload = request.files.get("file")
        if upload is None:
            abort(400, description="Send the BPMN file in the multipart field 'file'.")
        name = PurePath(upload.filename or "upload.bpmn").name
        forms: dict[str, bytes] = {}
        for form in request.files.getlist("forms"):
            stem = PurePath(form.filename or "").stem
            if not stem:
                abort(400, description="Every file in 'forms' needs a file name: <form key>.json.")
            forms[stem] = form.read()
        return Bundle(filename=name, bpmn=upload.read(), forms=forms,
                      form_paths={k: f"forms/{k}.json" for k in forms})
    if (request.mimetype or "") in _XML_TYPES:
        name = PurePath(FILENAME.read() or "upload.bpmn").name
        return Bundle(filename=name, bpmn=request.get_data())
    abort(415, description="Upload the BPMN as multipart/form-data (field 'file') or as an XML body.")
