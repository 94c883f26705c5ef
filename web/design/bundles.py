"""Bundles from what the browser sends: an uploaded .bpmn with form files, or the modeler's XML."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath
from typing import Any

from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from engine import definitions
from engine.validation import Bundle
from web.db import services
from web.formatting import N_


class UploadRefused(Exception):
    """The upload is not something we can even check (no file, wrong kind of file)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def from_upload(bpmn: FileStorage | None, forms: list[FileStorage]) -> Bundle:
    """A bundle from the upload form: the .bpmn file and any form schemas (``<form key>.json``)."""
    if bpmn is None or not bpmn.filename:
        raise UploadRefused(N_("Choose a .bpmn file to deploy."))
    name = PurePath(bpmn.filename).name
    if not name.lower().endswith((".bpmn", ".xml")):
        raise UploadRefused(N_("Only .bpmn files can be deployed here."))
    schemas: dict[str, bytes] = {}
    for form in forms:
        if not form.filename:  # the browser sends an empty part when no form file was chosen
            continue
        path = PurePath(form.filename)
        if path.suffix.lower() != ".json":
            raise UploadRefused(N_("Form files must be .json files named after their form key."))
        schemas[path.stem] = form.read()
    return Bundle(filename=name, bpmn=bpmn.read(), forms=schemas,
                  form_paths={key: f"forms/{key}.json" for key in schemas})


def from_xml(xml: bytes, filename: str | None) -> Bundle:
    """A bundle from the modeler: its XML only, so the forms come from deployed versions."""
    name = PurePath(filename or "").name or "process.bpmn"
    if not name.lower().endswith(".bpmn"):
        name += ".bpmn"
    return Bundle(filename=name, bpmn=xml)


def deployed_forms(session: Session) -> dict[str, Any]:
    """Form schemas of deployed versions: what a deploy falls back to for forms not sent."""
    return dict(definitions.deployed_forms(session))


def policy_clocks(session: Session) -> Callable[[str], frozenset[str] | None]:
    """The clocks of a process's newest deployed SLA policy (None when it has none), for the ``clock`` check."""
    escalation = services().escalation

    def clocks(key: str) -> frozenset[str] | None:
        found = escalation.policy_for(session, key)
        return None if found is None else frozenset(found[1].clocks)

    return clocks
