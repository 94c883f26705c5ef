"""API routes for comments (留言) on tasks and cases, and a task's form draft."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy.orm import Session

from engine import comments, drafts
from engine.errors import NotFound
from web.api.auth import current_actor
from web.api.params import json_object
from web.api.payloads import instant
from web.db import now, read_session, services, write


def register(bp: Blueprint) -> None:
    """Add the comment and draft routes: one rule per path, so an id out of range is a 404 for every method.

    (Werkzeug answers 405 when a path's rules differ by method and the id converter refuses the value.)
    """
    bp.add_url_rule("/tasks/<id:task_id>/comments", "task_comments", task_comments, methods=["GET", "POST"])
    bp.add_url_rule("/instances/<id:instance_id>/comments", "case_comments", case_comments,
                    methods=["GET", "POST"])
    bp.add_url_rule("/tasks/<id:task_id>/draft", "task_draft", task_draft, methods=["GET", "PUT", "DELETE"])


def task_comments(task_id: int) -> Response | tuple[Response, int]:
    """GET lists a task's comments; POST adds one."""
    return add_task_comment(task_id) if request.method == "POST" else list_task_comments(task_id)


def case_comments(instance_id: int) -> Response | tuple[Response, int]:
    """GET lists a case's comments; POST adds one on the case as a whole."""
    return add_case_comment(instance_id) if request.method == "POST" else list_case_comments(instance_id)


def task_draft(task_id: int) -> Response | tuple[str, int]:
    """GET reads the caller's draft, PUT keeps one, DELETE throws it away."""
    if request.method == "PUT":
        return put_draft(task_id)
    return delete_draft(task_id) if request.method == "DELETE" else get_draft(task_id)


def list_task_comments(task_id: int) -> Response:
    """The comments on one task of the caller's departments, oldest first."""
    return jsonify({"items": [comment_json(c) for c in comments.for_task(read_session(), current_actor(), task_id)]})


def list_case_comments(instance_id: int) -> Response:
    """Every comment of a case the caller takes part in, oldest first."""
    found = comments.for_case(read_session(), current_actor(), instance_id)
    return jsonify({"items": [comment_json(c) for c in found]})


def add_task_comment(task_id: int) -> tuple[Response, int]:
    """``{"body": TEXT}`` -> 201 with the comment; the people on the task and the starting unit are told."""
    return _add(json_object("CommentRequest")["body"], task_id=task_id)


def add_case_comment(instance_id: int) -> tuple[Response, int]:
    """``{"body": TEXT}`` on the case as a whole -> 201 with the comment."""
    return _add(json_object("CommentRequest")["body"], instance_id=instance_id)


def _add(body: str, *, task_id: int | None = None, instance_id: int | None = None) -> tuple[Response, int]:
    actor, ctx = current_actor(), services().ctx

    def unit(session: Session) -> dict[str, Any]:
        made = comments.add(session, ctx, actor, body, now=now(), task_id=task_id, instance_id=instance_id)
        return comment_json(next(c for c in comments.for_case(session, actor, made.instance_id) if c.id == made.id))

    return jsonify(write(unit)), 201


def get_draft(task_id: int) -> Response:
    """The caller's own draft of a task; 404 when they saved none."""
    found = drafts.load(read_session(), current_actor(), task_id)
    if found is None:
        raise NotFound("You have no draft of task {id}.", id=task_id)
    return jsonify(draft_json(found))


def put_draft(task_id: int) -> Response:
    """``{"data": {...}}``: keep it as the caller's draft (the form's fields only; not checked, may be partial)."""
    data = json_object("DraftRequest")["data"]
    actor, ctx = current_actor(), services().ctx
    saved = write(lambda session: drafts.save(session, ctx, actor, task_id, data, now=now()))
    return jsonify(draft_json(saved))


def delete_draft(task_id: int) -> tuple[str, int]:
    """Throw the caller's draft away (204 whether or not there was one)."""
    actor = current_actor()
    write(lambda session: drafts.discard(session, actor, task_id))
    return "", 204


def comment_json(c: comments.CommentView) -> dict[str, Any]:
    """A comment as the API returns it."""
    return {"id": c.id, "instance_id": c.instance_id, "task_id": c.task_id, "task": c.task_name,
            "author": c.author, "author_name": c.author_name, "department": c.department_code,
            "department_name": c.department_name, "body": c.body, "created_at": instant(c.created_at)}


def draft_json(d: drafts.Draft) -> dict[str, Any]:
    """A draft as the API returns it."""
    return {"task_id": d.task_id, "data": d.data, "updated_at": instant(d.updated_at), "dropped": list(d.dropped)}
