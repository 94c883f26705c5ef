"""Verifying a phone number with a code sent to it, through a :class:`Verifier`.

whistle ships no SMS gateway. :class:`LogVerifier` (the development default) writes the code to the
server log. A real gateway is a class with the same ``send`` method, named in WHISTLE_VERIFIER as
``package.module:Class`` and built with no arguments (docs/public-site.md). Codes are kept as HMAC
digests, last ten minutes, and allow five tries; a phone gets at most five codes an hour.
"""
from __future__ import annotations

import hashlib
import hmac
import importlib
import logging
import secrets
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import FieldError, InvalidInput
from engine.models import PhoneCheck

log = logging.getLogger(__name__)
LIFETIME = timedelta(minutes=10)
MAX_TRIES = 5
MAX_PER_HOUR = 5
DIGITS = 6


class Verifier(Protocol):
    """Sends a verification code to a phone (an SMS gateway, a voice call, …)."""

    def send(self, phone: str, code: str) -> None:
        """Deliver ``code`` to ``phone``; raise to report that it could not be sent."""


class LogVerifier:
    """Development only: the code goes to the server log instead of a phone."""

    def send(self, phone: str, code: str) -> None:
        """Log the code (masked phone) at WARNING so it shows in a default console."""
        log.warning("verification code for %s****%s: %s (development verifier: no SMS is sent)",
                    phone[:3], phone[-4:], code)


def verifier_named(path: str | None) -> Verifier:
    """The verifier WHISTLE_VERIFIER names (``module:Class``), or the log verifier."""
    if not path or path == "log":
        return LogVerifier()
    module, _colon, name = path.partition(":")
    found = getattr(importlib.import_module(module), name)
    return found()  # type: ignore[no-any-return]


def _digest(secret: str, phone: str, code: str) -> str:
    return hmac.new(secret.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def issue(session: Session, verifier: Verifier, secret: str, phone: str, *, now: datetime,
          code: str | None = None) -> None:
    """Send a new code to ``phone`` (InvalidInput when it had too many this hour)."""
    recent = session.execute(select(func.count()).select_from(PhoneCheck).where(
        PhoneCheck.phone == phone, PhoneCheck.expires_at > now - timedelta(hours=1) + LIFETIME)).scalar_one()
    if recent >= MAX_PER_HOUR:
        raise InvalidInput("Too many codes for this phone number; try again in an hour.",
                           [FieldError("phone", "Too many codes for this phone number; try again in an hour.")])
    code = code or "".join(secrets.choice("0123456789") for _ in range(DIGITS))
    session.add(PhoneCheck(phone=phone, digest=_digest(secret, phone, code), expires_at=now + LIFETIME))
    session.flush()
    verifier.send(phone, code)


def check(session: Session, secret: str, phone: str, code: str, *, now: datetime) -> bool:
    """Whether ``code`` is the phone's latest live code; a wrong try counts, a right one uses it up."""
    row = session.execute(select(PhoneCheck).where(
        PhoneCheck.phone == phone, PhoneCheck.used_at.is_(None), PhoneCheck.expires_at > now)
        .order_by(PhoneCheck.id.desc()).limit(1).with_for_update()).scalar_one_or_none()
    if row is None or row.tries >= MAX_TRIES:
        return False
    if not hmac.compare_digest(row.digest, _digest(secret, phone, code.strip()[:DIGITS + 2])):
        row.tries += 1
        return False
    row.used_at = now
    return True
