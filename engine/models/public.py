"""Residents' demands taken in on the public site: the tracking code that lets them follow one."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.models.base import Base, UTCDateTime


class PublicDemand(Base):
    """A case started from the public site, found again by its tracking code and the resident's phone."""

    __tablename__ = "public_demand"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), unique=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # random: a case number would be guessable
    # HMAC of the normalised phone number keyed by the code: the phone itself stays in the case data only.
    phone_digest: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))  # online (the resident) or counter (a clerk for them)
    helper_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # the clerk, at a counter
    # The signed-in resident who sent it, when one did: they follow it under their account, without the phone.
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
