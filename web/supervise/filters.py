"""The overdue board's filters, read from the query string and written back into links."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from werkzeug.datastructures import MultiDict

LEVELS = range(1, 6)
MAX_OFFSET = 1_000_000


@dataclass(frozen=True)
class BoardFilters:
    """Department, street, category, lowest ladder level, and the page offset."""

    department: str = ""
    street: str = ""
    category: str = ""
    level: int | None = None
    offset: int = 0

    @classmethod
    def from_args(cls, args: MultiDict[str, str]) -> BoardFilters:
        """Filters from request arguments; nonsense values are ignored rather than refused."""
        return cls(
            department=args.get("department", "").strip()[:32],
            street=args.get("street", "").strip()[:32],
            category=args.get("category", "").strip()[:32],
            level=_int(args.get("level"), LEVELS.start, LEVELS.stop - 1),
            offset=_int(args.get("offset"), 0, MAX_OFFSET) or 0,
        )

    def args(self, **changes: object) -> dict[str, object]:
        """The non-empty filters as query arguments (``changes`` applied, offset dropped unless given)."""
        values = {**asdict(self), "offset": 0, **changes}
        return {k: v for k, v in values.items() if v not in ("", None, 0)}

    @property
    def chart_args(self) -> dict[str, object]:
        """The filters the charts follow (the level filter does not: one chart is by level)."""
        return {k: v for k, v in self.args().items() if k in ("department", "street", "category")}


def _int(raw: str | None, low: int, high: int) -> int | None:
    try:
        value = int(raw or "")
    except ValueError:
        return None
    return value if low <= value <= high else None
