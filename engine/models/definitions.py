"""Deployed process definitions: the BPMN bytes, their hash and the parsed spec, once per version."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.models.base import Base, JsonColumn, UTCDateTime


class ProcessDefinition(Base):
    """One version of a deployable process bundle (a BPMN file plus the forms it names)."""

    __tablename__ = "process_definition"
    __table_args__ = (
        UniqueConstraint("key", "version", name="uq_process_definition_key_version"),
        Index("ix_process_definition_key_version", "key", "version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    # Hash over the BPMN bytes and every form schema they name: what decides "changed".
    bundle_sha256: Mapped[str] = mapped_column(String(64))
    bpmn: Mapped[bytes] = mapped_column(LargeBinary)
    # Serialized SpiffWorkflow specs (top process and called processes), stored once per version.
    spec: Mapped[str] = mapped_column(Text)
    # What the engine needs to know about elements without parsing again (lanes, forms, properties).
    catalog: Mapped[dict[str, Any]] = mapped_column(JsonColumn)
    forms: Mapped[dict[str, Any]] = mapped_column(JsonColumn)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
