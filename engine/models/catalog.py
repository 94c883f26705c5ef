"""Problem categories with the departments that own them."""
from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.models.base import Base, JsonColumn
from engine.models.organisation import Department


class Category(Base):
    """A problem category (e.g. 违法建设): its lead owner and co-owners suggest whom to summon."""

    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    owner_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    co_owner_codes: Mapped[list[str]] = mapped_column(JsonColumn, default=list)
    time_limit: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(255))

    owner: Mapped[Department] = relationship(lazy="joined")
