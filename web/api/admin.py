"""API routes for user administration."""
from __future__ import annotations

from flask import Blueprint


def register(bp: Blueprint) -> None:
    """Add the routes of this area."""
