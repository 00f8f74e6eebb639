"""Analysts' own CSV exports (format ``csv``): actors, infrastructure, wallets, transactions, forums,
threads, posts, forum activity and generic edges. ``docs/csv-formats.md`` documents every table.

The table a file holds is told by its header row alone: the table whose required columns are all
present, the most specific one when several are. Columns are matched case-insensitively; columns no
table knows are ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from graph_model.words import plural
from loaders import csv_entities, tabular
from loaders.csv_row import COMMON_COLUMNS, Row, Shared
from loaders.records import LoadContext, Record, SourceError
from loaders.rows import built


@dataclass(frozen=True, slots=True)
class Table:
    """One CSV format: the columns it needs and may have, and what a row of it yields."""

    name: str
    kind: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    build: Callable[[Row], csv_entities.Items]
    dated_by: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column of the table, in documentation order, the per-row provenance columns last."""
        return (*self.required, *self.optional, *COMMON_COLUMNS)


TABLES: tuple[Table, ...] = (
    Table(
        "actors",
        "actor",
        ("actor", "type"),
        ("id", "aliases", "roles", "country", "located_in", "status", "description", "member_of")
        + csv_entities.CONTACT_COLUMNS,
        csv_entities.actor,
    ),
    Table(
        "infrastructure",
        "infrastructure",
        ("type", "value"),
        ("hosted_on", "resolves_to", "belongs_to", "operated_by", "bulletproof", "country", "as_name", "port")
        + ("status", "tags", "description", "registrar", "registry", "upstream", "abuse_email", "abuse_phone")
        + ("registrant_country",),
        csv_entities.infrastructure,
    ),
    Table(
        "wallets",
        "wallet",
        ("chain", "address"),
        ("owner", "service", "service_type", "cluster", "families"),
        csv_entities.wallet,
    ),
    Table(
        "services",
        "service",
        ("service",),
        ("service_type", "country", "abuse_email", "abuse_phone", "description"),
        csv_entities.service,
    ),
    Table(
        "transactions",
        "transaction",
        ("tx_id", "from", "to", "amount"),
        ("asset", "chain", "time", "amount_usd", "output_index"),
        csv_entities.transaction,
        dated_by="time",
    ),
    Table(
        "forums",
        "forum",
        ("forum",),
        ("type", "url", "escrow", "admins", "escrow_admins", "language", "status", "aliases", "hosted_on")
        + ("closed_at",),
        csv_entities.forum,
    ),
    Table(
        "threads",
        "thread",
        ("thread_id", "forum"),
        ("title", "author", "posted_at", "url"),
        csv_entities.thread,
        dated_by="posted_at",
    ),
    Table(
        "posts",
        "post",
        ("post_id", "thread_id", "forum"),
        ("author", "posted_at", "text"),
        csv_entities.post,
        dated_by="posted_at",
    ),
    Table(
        "activity",
        "activity",
        ("actor", "forum"),
        ("relation", "posts", "threads", "product", "role", "weight"),
        csv_entities.activity,
    ),
    Table(
        "edges",
        "edge",
        ("source_kind", "source_type", "source", "type", "target_kind", "target_type", "target"),
        ("weight", "relation", "discriminator"),
        csv_entities.edge,
    ),
)
BY_NAME = {table.name: table for table in TABLES}


def detect(path: Path, header: Sequence[str]) -> Table:
    """The table a header row belongs to; SourceError naming the closest table when none fits."""
    found = {column.strip().lower() for column in header}
    fits = [t for t in TABLES if found.issuperset(t.required)]
    if fits:
        best = max(len(t.required) for t in fits)
        top = [t for t in fits if len(t.required) == best]
        if len(top) > 1:
            both = " and ".join(t.name for t in top)
            raise SourceError(
                f"{path}: header fits both {both} tables; remove the columns of the one not meant"
            )
        return top[0]
    closest = min(TABLES, key=lambda t: (sum(c not in found for c in t.required), -len(t.required)))
    missing = [c for c in closest.required if c not in found]
    raise SourceError(
        f"{path}: header matches no CSV table; closest is {closest.name!r}, missing "
        f"{plural(len(missing), 'column')}: {', '.join(missing)}"
    )


def _items(
    build: Callable[[Row], csv_entities.Items],
    shared: Shared,
    values: dict[str, str],
    where: str,
    dated_by: str | None,
) -> csv_entities.Items:
    """What one row yields; a cell that cannot be read raises RowError, a ValueError."""
    return build(Row(shared, values, where, dated_by))


def read(path: Path, ctx: LoadContext) -> Iterator[Record]:
    """One record per data row; a row that cannot be read is a rejected record with its file:line."""
    records = tabular.records(path)
    for _, header, _, error in records:  # the first record names the columns
        if header is None:
            raise SourceError(f"{path}: cannot read the first line ({error})")
        break
    else:
        raise SourceError(f"{path}: empty file (no data lines)")
    table = detect(path, header)
    columns = tuple(c.strip().lower() for c in header)
    width = len(columns)
    name = path.name
    build, kind, dated_by = table.build, table.kind, table.dated_by
    shared = Shared(ctx)
    # An empty cell reads as missing, so cells can go straight into a dict - unless a column name repeats,
    # where the non-empty one of its cells must win.
    distinct = len(set(columns)) == len(columns)
    for number, cells, text, error in records:
        where = f"{name}:{number}"  # as location() writes it, without its per-call checks
        if cells is None or len(cells) != width:
            reason = error if cells is None else f"expected {width} cells, found {len(cells)}"
            yield Record(where, kind, error=reason, raw=text)
            continue
        stripped = map(str.strip, cells)
        values = (
            dict(zip(columns, stripped, strict=True))
            if distinct
            else {c: v for c, v in zip(columns, stripped, strict=True) if v}
        )
        yield built(where, kind, text, _items, build, shared, values, where, dated_by)
