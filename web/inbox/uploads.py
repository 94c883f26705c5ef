"""Files sent with a task form: kept by the attachments area, given to the case when the task completes."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage, MultiDict

from engine import attachments
from engine.actors import Actor
from engine.errors import FieldError
from web.inbox.record import attachment_url


def upload_fields(schema: Mapping[str, Any] | None) -> list[str]:
    """The file fields of a form, when this installation stores files (else none: they would be lost)."""
    names = attachments.fields_of(schema)
    return names if names and attachment_url("1") is not None else []  # "1": ids start at 1


def take(actor: Actor, schema: Mapping[str, Any] | None, form: MultiDict[str, str],
         files: MultiDict[str, FileStorage], data: dict[str, Any]) -> list[FieldError]:
    """Store each file field's uploads (its own transaction) and put their ids, after the kept ones, in ``data``."""
    refused: list[FieldError] = []
    for name in upload_fields(schema):
        from web.street.attachments import store_uploads  # the attachments area owns storage and its limits

        kept = form.getlist(f"{name}__kept")
        stored, errors = store_uploads(actor, files.getlist(name), field=name)
        refused += errors
        if kept or stored:
            data[name] = list(dict.fromkeys([*kept, *stored]))  # a file sent again is the same upload
    return refused


def attach(session: Session, actor: Actor, schema: Mapping[str, Any] | None, data: Mapping[str, Any],
           instance_id: int) -> None:
    """Give the uploads named in ``data`` to the case, in the transaction that completes the task."""
    for name in upload_fields(schema):
        if data.get(name):
            attachments.attach(session, actor, data[name], instance_id, field=name)


def names(session: Session, instance_id: int) -> dict[str, str]:
    """What the uploader called each file of a case, by id."""
    return {str(a.id): a.filename for a in attachments.of_instance(session, instance_id)}
