"""The user list's filters, read from the query string and written back into links."""
from __future__ import annotations

from collections.abc import Container
from dataclasses import asdict, dataclass

from werkzeug.datastructures import MultiDict

MAX_OFFSET = 1_000_000


@dataclass(frozen=True)
class UserFilters:
    """Text, unit, role, active or not, and the page offset."""

    q: str = ""
    department: str = ""
    role: str = ""
    active: str = ""
    offset: int = 0

    @classmethod
    def from_args(cls, args: MultiDict[str, str], roles: Container[str]) -> UserFilters:
        """Filters from request arguments; nonsense values (a role not among ``roles``) are ignored, not refused."""
        role, active = args.get("role", ""), args.get("active", "")
        return cls(q=args.get("q", "").strip()[:64], department=args.get("department", "").strip()[:32],
                   role=role if role in roles else "", active=active if active in ("yes", "no") else "",
                   offset=_offset(args.get("offset")))

    @property
    def role_value(self) -> str | None:
        """The chosen role code, if any."""
        return self.role or None

    @property
    def active_value(self) -> bool | None:
        """True, False, or None for both."""
        return {"yes": True, "no": False}.get(self.active)

    def args(self, **changes: object) -> dict[str, object]:
        """The non-empty filters as query arguments (``changes`` applied, offset dropped unless given)."""
        values = {**asdict(self), "offset": 0, **changes}
        return {k: v for k, v in values.items() if v not in ("", None, 0)}


def _offset(raw: str | None) -> int:
    try:
        value = int(raw or "0")
    except ValueError:
        return 0
    return value if 0 <= value <= MAX_OFFSET else 0
