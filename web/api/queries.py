"""API routes for queries, history, form schemas and attachments."""
from __future__ import annotations

from flask import Blueprint


def register(bp: Blueprint) -> None:
    """Add the routes of this area."""
