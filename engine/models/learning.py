"""Learned models (人机协同): each business rule task's counts as plain JSON, never pickled code."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.models.base import Base, JsonColumn, UTCDateTime


class LearnedModel(Base):
    """The model one process's business rule task learned from people's decisions, as the worker last trained it."""

    __tablename__ = "learned_model"
    __table_args__ = (UniqueConstraint("process_key", "element_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(128))
    element_id: Mapped[str] = mapped_column(String(128))
    # engine/learned_choices.py: classes, class weights and token counts (numbers and texts only).
    state: Mapped[dict[str, Any]] = mapped_column(JsonColumn, default=dict)
    decisions: Mapped[int] = mapped_column(default=0)  # people's decisions learned (cold-start examples aside)
    # The completion event of the last decision learned: the next training reads only those after it.
    through_event_id: Mapped[int] = mapped_column(default=0)
    revision: Mapped[int] = mapped_column(default=1)  # a server reloads its copy when this changes
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime())
