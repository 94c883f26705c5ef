"""Resident accounts for the public site: sign up with a phone number and password, verify the phone, sign in.

A resident is a user whose only seat is the pack's resident role (capability ``public``) in the
community they live in; their login name is their phone number. The account stays inactive (no
sign-in) until the phone is verified with a code (engine/verification.py).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import accounts, verification
from engine.errors import FieldError, InvalidInput, NotFound
from engine.models import Department, Membership, User
from engine.public_demands import normalised_phone
from engine.verification import Verifier

PHONE_DIGITS = (11, 11)  # mainland mobile numbers


def phone_of(raw: str) -> str:
    """The phone number as a login name: its 11 digits; InvalidInput otherwise."""
    phone = normalised_phone(raw)
    if not (PHONE_DIGITS[0] <= len(phone) <= PHONE_DIGITS[1] and phone.startswith("1")):
        raise InvalidInput("Invalid phone number.", [FieldError("phone", "An 11-digit mobile number.", "pattern")])
    return phone


def sign_up(session: Session, verifier: Verifier, secret: str, *, phone: str, password: str, home: str,
            role: str, kinds: tuple[str, ...], now: datetime) -> User:
    """An inactive resident of the unit ``home`` (of one of ``kinds``), and a code sent to the phone.

    Signing up again before verifying sends a new code (and sets the new password and community).
    """
    phone = phone_of(phone)
    unit = session.execute(select(Department).where(Department.code == home, Department.active,
                                                    Department.kind.in_(kinds))).scalar_one_or_none()
    if unit is None:
        raise InvalidInput("Choose your community.", [FieldError("home", "Choose your community.", "required")])
    user = session.execute(select(User).where(User.username == phone)).scalar_one_or_none()
    if user is not None and user.is_active:
        raise InvalidInput("This phone number already has an account: sign in instead.",
                           [FieldError("phone", "This phone number already has an account: sign in instead.",
                                       "taken")])
    if user is None:
        user = accounts.create_user(session, phone, f"{phone[:3]}****{phone[-4:]}", password=password, now=now,
                                    seats=[(unit.code, role)])
    else:
        accounts.change_password(session, user, password, now=now)
        for seat in list(user.memberships):
            session.delete(seat)
        session.flush()
        accounts.grant(session, user, unit.code, role)
    user.is_active = False
    verification.issue(session, verifier, secret, phone, now=now)
    session.flush()
    return user


def verify(session: Session, secret: str, *, phone: str, code: str, now: datetime) -> User:
    """Activate the resident whose phone this code was sent to; InvalidInput for a wrong or old code."""
    phone = phone_of(phone)
    user = session.execute(select(User).where(User.username == phone)).scalar_one_or_none()
    if user is None:
        raise NotFound("No account waits for this phone number.")
    if not verification.check(session, secret, phone, code, now=now):
        raise InvalidInput("The code is wrong or too old.",
                           [FieldError("code", "The code is wrong or too old: ask for a new one.", "invalid")])
    user.is_active = True
    session.flush()
    return user


def community_of(session: Session, user_id: int, role: str) -> int | None:
    """The unit where the user holds the resident ``role``, when they do."""
    return session.execute(select(Membership.department_id).where(
        Membership.user_id == user_id, Membership.role == role)).scalars().first()
