"""Departments, users, their memberships with roles, and API tokens."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.models.base import Base, JsonColumn, UTCDateTime
from engine.roles import Role


class DepartmentKind(enum.StrEnum):
    """What sort of organisation a department is."""

    STREET = "street"
    TOWN = "town"
    DISTRICT_DEPARTMENT = "district_department"
    DISTRICT_UNIT = "district_unit"


def _enum(cls: type[enum.Enum], length: int = 32) -> Enum:
    # Stored as plain strings (no native PostgreSQL enum) so adding a member needs no migration.
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class Department(Base):
    """A street, a township, a district department or a district coordination unit."""

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    short_name: Mapped[str | None] = mapped_column(String(50))
    kind: Mapped[DepartmentKind] = mapped_column(_enum(DepartmentKind))
    # For district units: the district-scope role whose lanes this unit serves (e.g. supervisor).
    serves_role: Mapped[Role | None] = mapped_column(_enum(Role))
    duties: Mapped[list[str]] = mapped_column(JsonColumn, default=list)
    communities: Mapped[list[str]] = mapped_column(JsonColumn, default=list)


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
    """A user holds a role in a department."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "department_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role))

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
