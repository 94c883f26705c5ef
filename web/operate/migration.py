"""Pages: migrating running cases between versions."""
from __future__ import annotations

from flask import Blueprint


def register(bp: Blueprint) -> None:
    """Add this part's routes to the operate blueprint."""
