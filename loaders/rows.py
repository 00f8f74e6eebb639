"""One path from a row of a table or an entry of a JSON list to a :class:`~loaders.records.Record`.

Every tabular loader (CSV tables, Ransomwhere, receipts, BTC payments, Bitcoin OTC, edge lists, Feodo,
ThreatFox) reads its input with :mod:`loaders.tabular` or :mod:`loaders.json_stream` and hands each row
here with a ``build`` function turning it into nodes and edges. A row the reader could not read (bad
UTF-8, a broken quote, a wrong cell count, damaged JSON) and a row ``build`` refuses - a missing
required field, a field of the wrong type (``ValueError``, the CSV tables' ``RowError`` included), an
entity the schema refuses (``ValidationError``) - become a rejected record located at its file and line
(``file.csv:12``) or object (``file.json#id``), with the reason. ``build`` may also return a finished
record (a row deliberately skipped).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, ParamSpec

from graph_model.entities import Edge, Node
from graph_model.errors import ValidationError
from loaders.records import Record, location
from loaders.tabular import Row

Items = list[Node | Edge]
P = ParamSpec("P")


def built(
    where: str, kind: str, raw: Any, build: Callable[P, Items | Record], /, *args: P.args, **kwargs: P.kwargs
) -> Record:
    """The record of one row: what ``build(*args, **kwargs)`` makes of it, or the reason it cannot."""
    try:
        items = build(*args, **kwargs)
    except (ValueError, ValidationError) as exc:
        return Record(where, kind, error=str(exc), raw=raw)
    return items if isinstance(items, Record) else Record(where, kind, items, raw=raw)


def row_records(
    path: Path, kind: str, rows: Iterable[Row], build: Callable[[Row], Items | Record]
) -> Iterator[Record]:
    """One record per row of ``rows`` (read from ``path`` by :func:`loaders.tabular.csv_rows`), located
    ``file:line``: a row the reader could not read is rejected with its error, the others are built."""
    for row in rows:
        where = location(path, row.line)
        if row.error:
            yield Record(where, kind, error=row.error, raw=row.text)
        else:
            yield built(where, kind, row.text, build, row)
