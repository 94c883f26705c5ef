"""Supervision (督办): the overdue board and its charts, the department scoreboard, the ranking, the suggestions
taken (人机协同), 督办 and 催办."""
from __future__ import annotations

from flask import Blueprint, Flask

from web.supervise import board, charts, ranking, scores, suggestions


def init_app(app: Flask) -> None:
    """Register the ``supervise`` blueprint under ``/supervise``."""
    bp = Blueprint("supervise", __name__, template_folder="templates", url_prefix="/supervise")
    bp.add_url_rule("", "index", board.index, methods=["GET"])
    bp.add_url_rule("/tasks/<id:task_id>/urge", "urge", board.urge, methods=["POST"])
    bp.add_url_rule("/charts/departments.json", "chart_departments", charts.by_department, methods=["GET"])
    bp.add_url_rule("/charts/levels.json", "chart_levels", charts.by_level, methods=["GET"])
    bp.add_url_rule("/charts/trend.json", "chart_trend", charts.trend, methods=["GET"])
    bp.add_url_rule("/departments", "departments", scores.departments, methods=["GET"])
    bp.add_url_rule("/departments/<code>", "department", scores.department, methods=["GET"])
    bp.add_url_rule("/ranking", "ranking", ranking.ranking, methods=["GET"])
    bp.add_url_rule("/suggestions", "suggestions", suggestions.suggestions, methods=["GET"])
    bp.add_app_template_filter(scores.sign_time, "sign_time")
    app.register_blueprint(bp)
