"""Units and problem categories as reference data, and whom a category suggests summoning."""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import NotFound
from engine.models import Category, Department


@dataclass(frozen=True)
class CategoryInfo:
    """A category with the departments to summon by default (lead owner first)."""

    code: str
    name: str
    owner: str
    co_owners: list[str]
    time_limit: str | None

    @property
    def suggested_departments(self) -> list[str]:
        """Lead owner, then co-owners, without repeats."""
        return list(dict.fromkeys([self.owner, *self.co_owners]))


def departments(session: Session, kinds: Collection[str] | None = None) -> list[Department]:
    """Every active unit (of some kinds), by code."""
    query = select(Department).where(Department.active).order_by(Department.code)
    if kinds is not None:
        query = query.where(Department.kind.in_(sorted(kinds)))
    return list(session.execute(query).scalars())


def categories(session: Session) -> list[CategoryInfo]:
    """Every category with its owners, by code."""
    rows = session.execute(
        select(Category, Department.code).join(Department, Department.id == Category.owner_id).order_by(Category.code)
    ).all()
    return [CategoryInfo(c.code, c.name, owner, list(c.co_owner_codes or []), c.time_limit) for c, owner in rows]


def category(session: Session, code: str) -> CategoryInfo:
    """One category; NotFound otherwise."""
    for info in categories(session):
        if info.code == code:
            return info
    raise NotFound("Category {code} does not exist.", code=code)
