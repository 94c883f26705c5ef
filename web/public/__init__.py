"""The public site (/public): residents' pages that need no sign-in — 表达诉求, 查询进度, 网上监督.

Every page here is read by strangers: it shows no person's name, phone number, account or exact
address (tests/web/test_public_privacy.py crawls them), and every anonymous post is rate limited
(web/public/limits.py) and carries an offline image captcha.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Flask

from web.public import accounts, consultations, counter, demands, layout, statistics
from web.public.limits import CAPTCHAS, DEMAND_POSTS, RATING_POSTS, SIGN_UPS, TRACK_POSTS, VOTES, limited

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Register the ``public`` blueprint with its rate limits."""
    bp = Blueprint("public", __name__, template_folder="templates", url_prefix="/public")
    bp.add_url_rule("", "index", layout.index, methods=["GET"])
    bp.add_url_rule("/text-size", "text_size", layout.text_size, methods=["POST"])
    bp.add_url_rule("/captcha.png", "captcha", limited(app, demands.captcha_image, CAPTCHAS, posts_only=False),
                    methods=["GET"])
    bp.add_url_rule("/demands/new", "new_demand", limited(app, demands.new, DEMAND_POSTS), methods=["GET", "POST"])
    bp.add_url_rule("/demands/receipt", "receipt", demands.receipt, methods=["GET"])
    bp.add_url_rule("/demands/mine", "mine", demands.mine, methods=["GET"])
    bp.add_url_rule("/track", "track", limited(app, demands.track, TRACK_POSTS), methods=["GET", "POST"])
    bp.add_url_rule("/demands/<code>", "demand", demands.show, methods=["GET"])
    bp.add_url_rule("/demands/<code>/rating", "rate", limited(app, demands.rate, RATING_POSTS), methods=["POST"])
    bp.add_url_rule("/statistics", "statistics", statistics.statistics, methods=["GET"])
    # Staff taking demands in for residents (signed in, so neither captcha nor rate limit).
    bp.add_url_rule("/counter", "counter_index", counter.index, methods=["GET"])
    bp.add_url_rule("/counter/new", "counter_new", counter.new, methods=["GET", "POST"])
    bp.add_url_rule("/counter/receipt/<code>", "counter_receipt", counter.receipt, methods=["GET"])
    _consultation_rules(app, bp)
    app.register_blueprint(bp)
    fixed = app.extensions["whistle"].settings.captcha_file
    if fixed is not None:  # tests only: every captcha shows the digits in this file
        log.warning("WHISTLE_CAPTCHA_FILE is set: public captchas are predictable (tests only)")
        app.extensions["whistle_captcha_answers"] = lambda: fixed.read_text(encoding="utf-8").strip()[:6] or "0000"
    # The public menu links only the pages this server serves.
    app.context_processor(lambda: {"public_endpoints": app.view_functions})


def _consultation_rules(app: Flask, bp: Blueprint) -> None:
    """议事协商 and resident accounts: read by anyone, written by verified residents."""
    bp.add_url_rule("/account/new", "sign_up", limited(app, accounts.sign_up, SIGN_UPS), methods=["GET", "POST"])
    bp.add_url_rule("/account/verify", "verify", limited(app, accounts.verify, TRACK_POSTS), methods=["GET", "POST"])
    bp.add_url_rule("/proposals", "proposals", consultations.proposals, methods=["GET"])
    bp.add_url_rule("/proposals/<id:instance_id>", "proposal", consultations.proposal, methods=["GET"])
    bp.add_url_rule("/proposals/<id:instance_id>/vote", "vote", limited(app, consultations.vote, VOTES),
                    methods=["POST"])
    bp.add_url_rule("/proposals/<id:instance_id>/comments", "comment", limited(app, consultations.comment, VOTES),
                    methods=["POST"])
