"""Pages: the user list, one user, and the actions an administrator takes on them."""
from __future__ import annotations

from flask import Blueprint


def register(bp: Blueprint) -> None:
    """Add the user administration routes."""
