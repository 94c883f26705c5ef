"""Units in a tree with their kinds and relations, roles from data, users and their seats, API tokens."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.models.base import Base, JsonColumn, UTCDateTime


class UnitKind(Base):
    """A kind of unit a pack declares (a street, a town, a platform, a committee …)."""

    __tablename__ = "unit_kind"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    label_en: Mapped[str] = mapped_column(String(100), default="")
    active: Mapped[bool] = mapped_column(default=True)


class RoleDefinition(Base):
    """A role a pack declares: where it may sit, its head, its capabilities and default assignment."""

    __tablename__ = "role"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    label_en: Mapped[str] = mapped_column(String(100), default="")
    unit_kinds: Mapped[list[str]] = mapped_column(JsonColumn, default=list)
    head: Mapped[str | None] = mapped_column(String(64))
    capabilities: Mapped[list[str]] = mapped_column(JsonColumn, default=list)
    distributes: Mapped[list[str]] = mapped_column(JsonColumn, default=list)
    oversees: Mapped[list[str]] = mapped_column(JsonColumn, default=list)
    assign: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)


class Department(Base):
    """A unit of the organisation tree: a city, district, street, community, department, centre …

    The table keeps its first name (``department``); ``path`` lists the ids from the root down
    (``/1/4/17/``) so a subtree is one prefix match.
    """

    __tablename__ = "department"
    __table_args__ = (Index("ix_department_path", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    short_name: Mapped[str | None] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(64))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    path: Mapped[str] = mapped_column(String(400), default="")
    active: Mapped[bool] = mapped_column(default=True)
    duties: Mapped[list[str]] = mapped_column(JsonColumn, default=list)


class UnitRelation(Base):
    """A link between two units beyond the tree, e.g. a department's team stationed in a town (派驻)."""

    __tablename__ = "unit_relation"
    __table_args__ = (UniqueConstraint("kind", "unit_id", "other_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    other_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)


class User(Base):
    """A person who logs in: staff, officer, supervisor, designer, admin or citizen."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    # Loaded on demand: notification targets need users, not their seats.
    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")


class Membership(Base):
    """A user holds a role (its code) in a unit: a seat."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "department_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    role: Mapped[str] = mapped_column(String(64))

    user: Mapped[User] = relationship(back_populates="memberships")
    department: Mapped[Department] = relationship(lazy="joined")


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # None: never expires (tokens issued before expiry existed, or made so on purpose in code).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
