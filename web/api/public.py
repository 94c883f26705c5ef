"""The public part of the API (``/api/v1/public/…``): what the public site shows, as JSON, with no token.

For residents' apps and mini-programs and for open-data readers. It answers exactly what the public
pages show (web/public/): the month's figures and the latest cases without personal data, the
proposals with their tallies, and a demand's progress to whoever sends its tracking number with
the phone number (each such post rate limited per address, as on the site). Sending a new demand
stays on the site's form, behind its captcha.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, Response, jsonify
from sqlalchemy.orm import Session

from engine import consultations, public_demands
from engine.errors import Unavailable
from engine.models import PublicDemand
from engine.public_channels import PublicChannel
from web import problems
from web.api.params import json_object
from web.api.payloads import instant
from web.db import now, read_session, services, write
from web.i18n import current_lang, translate
from web.public import consultations as proposal_pages
from web.public import demands, statistics
from web.public.limits import RATING_POSTS, TRACK_POSTS, limited
from web.supervise import ranking
from web.supervise.ranking import Line

log = logging.getLogger(__name__)
# Posts that prove a demand with its phone number: as many per address as the site allows.
LIMITS = {"api.public_progress": TRACK_POSTS, "api.public_rating": RATING_POSTS}


def register(bp: Blueprint) -> None:
    """Add the public routes (named ``public_…``: web.api.auth lets those through without a token)."""
    bp.add_url_rule("/public/statistics", "public_statistics", public_statistics, methods=["GET"])
    bp.add_url_rule("/public/proposals", "public_proposals", public_proposals, methods=["GET"])
    bp.add_url_rule("/public/proposals/<id:instance_id>", "public_proposal", public_proposal, methods=["GET"])
    bp.add_url_rule("/public/demands/progress", "public_progress", public_progress, methods=["POST"])
    bp.add_url_rule("/public/demands/rating", "public_rating", public_rating, methods=["POST"])


def limit(app: Flask) -> None:
    """Put the site's per-address limits on the posts that take a phone number (after the blueprint is in)."""
    for endpoint, limits in LIMITS.items():
        app.view_functions[endpoint] = limited(app, app.view_functions[endpoint], limits)


def public_statistics() -> Response:
    """``?process=&month=YYYY-MM&by=``: the month's rates, overdue counts, trends, map cells and latest cases."""
    month = statistics.month_figures()
    if month is None:
        return jsonify({"process": None, "processes": []})
    board, rules = month.board, month.board.rules
    return jsonify({
        "process": board.process,
        "processes": [{"key": key, "name": name} for key, name in month.processes],
        "month": f"{board.month:%Y-%m}",
        "rates": [{"code": rate.code, "label": ranking.rate_label(rate)} for rate in rules.rates],
        "units": [_line(line) for line in month.units],
        "areas": [_line(line) for line in month.groups],
        "areas_label": ranking.roll_up_label(rules),
        "overdue": [{"unit": c.code, "name": c.name, "count": c.count} for c in month.overdue],
        "checked_at": instant(month.checked_at),
        "trend": {"field": month.trend_choice.name if month.trend_choice else None,
                  "title": month.trend_choice.title if month.trend_choice else None, **month.trend},
        "districts": [{"name": d.name, "cells": [{"code": c.code, "name": c.name, "percent": c.percent,
                                                  "band": c.band, "communities": list(c.communities)}
                                                 for c in d.cells]} for d in month.districts],
        "cases": [{"number": c.number, "started": c.started, "status": c.status, "label": c.label,
                   "street": c.street, "community": c.community} for c in month.cases],
    })


def _line(line: Line) -> dict[str, Any]:
    return {"rank": line.rank, "code": line.code, "name": line.name, "answers": line.answers,
            "counted": line.counted, "score": line.score,
            "cells": [{"percent": c.percent, "hits": c.hits, "of": c.of} for c in line.cells]}


def public_proposals() -> Response:
    """The newest proposals (议事协商)."""
    cfg = proposal_pages.configured()
    return jsonify({"items": [{"id": i, "title": title, "community": community, "started": instant(started),
                               "status": status}
                              for i, title, community, started, status
                              in consultations.proposals(read_session(), cfg)]})


def public_proposal(instance_id: int) -> Response:
    """One proposal: the text, the tally, the comments without names, the decision and the work's progress."""
    cfg = proposal_pages.configured()
    p = consultations.proposal(read_session(), services().ctx, cfg, instance_id)
    english = current_lang() == "en"
    return jsonify({
        "id": p.id, "title": p.title, "body": p.body, "community": p.community, "community_name": p.community_name,
        "started": instant(p.started), "status": p.status, "open": p.open, "closes_at": instant(p.closes_at),
        "tally": [{"value": c.value, "label": (english and c.label_en) or c.label, "count": p.tally.get(c.value, 0)}
                  for c in cfg.choices],
        "comments": [{"at": instant(at), "body": body} for at, body in p.comments],
        "decision": [{"label": label, "value": value}
                     for label, value in proposal_pages.decision_read(cfg, p.decision)],
        "progress": [{"at": instant(at), "note": note} for at, note in p.progress],
    })


def public_progress() -> Response:
    """``{"code", "phone"}``: the demand's progress; one 404 for a wrong code or phone alike."""
    demand = _proved(json_object("PublicTracking"))
    return jsonify(_progress(read_session(), demands.channel(), demand))


def public_rating() -> Response:
    """``{"code", "phone", "rating", "comment", "answers"}``: the resident's rating (好差评), checked by the rating
    step's form; ``answers`` holds the channel's other questions (``asks``, e.g. whether it was solved)."""
    body = json_object("PublicRating")
    demand = _proved(body)
    chosen = demands.channel()
    comment = (body.get("comment") or "").strip() or None

    def rated(session: Session) -> dict[str, Any]:
        public_demands.rate(session, services().ctx, chosen, demand, body["rating"], comment, now=now(),
                            answers=body.get("answers") or {})
        return _progress(session, chosen, demand)  # read in the same transaction: the rating step is closed

    try:
        return jsonify(write(rated))
    except Unavailable as error:  # the reason names the channel's account: for the log, not for strangers
        log.error("the public channel of %s took no rating: %s", chosen.process, error.message)
        return problems.problem(503, translate(demands.CLOSED), code=error.code)


def _proved(body: dict[str, Any]) -> PublicDemand:
    """The demand whose tracking number and phone number the body carries; NotFound otherwise."""
    return public_demands.find(read_session(), body["code"], body["phone"])


def _progress(session: Session, chosen: PublicChannel, demand: PublicDemand) -> dict[str, Any]:
    """A demand's progress as the resident's page shows it."""
    progress = public_demands.progress(session, chosen, demand)
    schema = public_demands.start_form(session, services().ctx, chosen)
    return {
        "code": progress.code, "status": progress.status, "started": instant(progress.started),
        "finished": instant(progress.finished),
        "shown": [{"label": label, "value": value}
                  for label, value in demands.shown_fields(chosen, schema, progress.shown)],
        "steps": [{"name": s.name, "unit": s.unit, "started": instant(s.started), "finished": instant(s.finished)}
                  for s in progress.steps],
        "reply": progress.reply, "rating_open": progress.rating_open,
    }
