"""Uploaded files: photos and documents kept by content hash, attached to a case once it exists."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.models.base import Base, UTCDateTime


class Attachment(Base):
    """One upload: who sent it, what it is, and (once the case exists) which case it belongs to."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The bytes live on disk under this name; equal files share one copy.
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # What the uploader called it: shown and offered as the download name, never used as a path.
    filename: Mapped[str] = mapped_column(String(255))
    # Sniffed from the bytes, not taken from the browser.
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    # None until the form that carries it is submitted; then only the case's participants see it.
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"),
                                                    index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
