"""A count meeting a noun in words people read: "1 edge", "3 edges" - never "1 edges" or "3 edge(s)".

Examples
--------
>>> counted(1, "edge"), counted(1204, "edge"), counted(0, "entity", "entities")
('1 edge', '1,204 edges', '0 entities')
>>> plural(1, "party", "parties"), plural(2, "party", "parties")
('party', 'parties')
"""

from __future__ import annotations


def plural(count: int, one: str, many: str | None = None) -> str:
    """``one`` for a count of 1, else ``many`` (``one`` + "s" when not given)."""
    return one if count == 1 else (one + "s" if many is None else many)


def counted(count: int, one: str, many: str | None = None) -> str:
    """The count with thousands separators and its noun, singular or plural."""
    return f"{count:,} {plural(count, one, many)}"
