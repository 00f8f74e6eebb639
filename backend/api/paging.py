"""The one paging model: Relay connections (``XConnection { edges { cursor node } pageInfo totalCount }``)
paged with ``first``/``after`` or ``last``/``before``.

A cursor is an opaque string naming a position in the list as the caller sees it; the same data gives
the same cursors, and walking ``first``/``after`` from the start to ``hasNextPage: false`` yields every
item exactly once.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

import strawberry

from graph_model.errors import InvalidArgument, LimitExceeded

T = TypeVar("T")
U = TypeVar("U")

_CURSOR_PREFIX = "cg:"
MAX_POSITION = 10**9


@strawberry.type(description="Where a page sits in its list (Relay's PageInfo).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Items follow this page (ask with after: endCursor)")
    has_previous_page: bool = strawberry.field(
        description="Items precede this page (ask with last and before: startCursor)"
    )
    start_cursor: str | None = strawberry.field(description="Cursor of the page's first item (null: empty)")
    end_cursor: str | None = strawberry.field(description="Cursor of the page's last item (null: empty)")


@strawberry.type(name="Edge", description="One item of a page with its cursor.")
class ConnectionEdge(Generic[T]):
    cursor: str = strawberry.field(description="Opaque position of this item; stable for the same data")
    node: T = strawberry.field(description="The item")


@strawberry.type(
    description="A page of a list: edges { cursor node }, pageInfo and totalCount. Page forward with "
    "first/after, backward with last/before."
)
class Connection(Generic[T]):
    edges: list[ConnectionEdge[T]] = strawberry.field(description="The page's items in list order")
    page_info: PageInfo = strawberry.field(description="Cursors and whether items come before or after")
    total_count: int | None = strawberry.field(
        description="How many items the whole list holds (null only where the field says it cannot be told)"
    )


First = Annotated[
    int | None,
    strawberry.argument(
        description="Page size from the start or from `after` (0 up to the page limit, 200 by default; "
        "none: the field's default page)"
    ),
]
After = Annotated[str | None, strawberry.argument(description="Cursor: the page starts after this item")]
Last = Annotated[
    int | None,
    strawberry.argument(description="Page size from the end or before `before` (0 up to the page limit)"),
]
Before = Annotated[str | None, strawberry.argument(description="Cursor: the page ends before this item")]


def cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{position}".encode()).decode()


def position_of(value: str, name: str) -> int:
    """The position a cursor of this API names; InvalidArgument otherwise."""
    try:
        text = base64.urlsafe_b64decode(value.encode("ascii")).decode("ascii")
        if not text.startswith(_CURSOR_PREFIX):
            raise ValueError(text)
        position = int(text.removeprefix(_CURSOR_PREFIX))
        if not 0 <= position <= MAX_POSITION:
            raise ValueError(text)
    except (ValueError, UnicodeError, binascii.Error):
        raise InvalidArgument(f"{name}: {value[:40]!r} is not a cursor of this API") from None
    return position


@dataclass(frozen=True, slots=True)
class Page:
    """A caller's page arguments, checked: at most one of ``first``/``last``, sizes within the limit."""

    first: int | None
    after: int | None  # position of the cursor
    last: int | None
    before: int | None

    @classmethod
    def of(
        cls,
        first: int | None,
        after: str | None,
        last: int | None,
        before: str | None,
        *,
        default: int,
        maximum: int,
        limit: str = "the page limit",
    ) -> Page:
        if first is not None and last is not None:
            raise InvalidArgument("give first or last, not both")
        for name, size in (("first", first), ("last", last)):
            if size is not None and size < 0:
                raise InvalidArgument(f"{name} must be at least 0, got {size}")
            if size is not None and size > maximum:
                raise LimitExceeded(f"{name} {size} is over {limit} ({maximum})")
        if first is None and last is None:
            first = min(default, maximum)
        return cls(
            first=first,
            after=None if after is None else position_of(after, "after"),
            last=last,
            before=None if before is None else position_of(before, "before"),
        )

    @property
    def start(self) -> int:
        """Where the page starts when paging forward (``first``)."""
        return 0 if self.after is None else self.after + 1

    @property
    def reach(self) -> int | None:
        """How many items from the start the page can need (None: paging from the end needs them all),
        plus one to tell whether another page follows."""
        if self.last is not None and self.before is None:
            return None
        end = self.before if self.before is not None else MAX_POSITION
        if self.first is not None:
            end = min(end, self.start + self.first)
        return end + 1

    def window(self, total: int) -> tuple[int, int]:
        """The page's [start, stop) in a list of ``total`` items (Relay's algorithm over positions)."""
        start = min(self.start, total)
        stop = total if self.before is None else max(start, min(self.before, total))
        if self.first is not None:
            stop = min(stop, start + self.first)
        if self.last is not None:
            start = max(start, stop - self.last)
        return start, stop


def connection(
    items: Sequence[T],
    page: Page,
    convert: Callable[[T], U],
    *,
    total: int | None = None,
    offset: int = 0,
) -> Connection[U]:
    """The page of a list, its items converted by ``convert`` (only the page's). ``items`` is the list
    from position ``offset`` on (all of it, or at least the page); ``total`` is the list's length when
    ``items`` does not reach its end."""
    count = offset + len(items) if total is None else total
    start, stop = page.window(count)
    edges = [
        ConnectionEdge(node=convert(item), cursor=cursor(start + i))
        for i, item in enumerate(items[start - offset : stop - offset])
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=stop < count,
            has_previous_page=start > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=count,
    )
