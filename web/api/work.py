"""API routes for work distribution, comments and drafts."""
from __future__ import annotations

from flask import Blueprint


def register(bp: Blueprint) -> None:
    """Add the routes of this area."""
