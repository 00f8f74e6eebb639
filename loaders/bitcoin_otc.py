"""SNAP signed trust networks of Bitcoin marketplaces (``soc-sign-bitcoinotc``, ``soc-sign-bitcoinalpha``).

Rows are ``SOURCE,TARGET,RATING,TIME``: a trader rated another from -10 (fraud) to +10 after a
trade. The platform is a Forum/marketplace node; each trader an Actor/handle valued
``<dataset>/<id>`` (ids are anonymised integers, meaningful on their platform only) and ACTIVE_ON
the marketplace; each rating a RATED edge (``rating``, ``weight`` = rating) whose time is its
provenance ``first_seen``. A rater who rates the same trader again at another time adds an edge.

The SNAP files have no header; a copy with ``source,target,weight,timestamp`` added is also read.
TIME may be integer or fractional epoch seconds.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

from graph_model.entities import Edge, Node, make_node
from graph_model.provenance import to_iso
from loaders.records import LoadContext, Record, location
from loaders.rows import row_records
from loaders.tabular import Row, csv_rows, integer, number

# Display names of the platforms SNAP publishes, by dataset name or file stem.
PLATFORMS = {
    "bitcoin-otc": "Bitcoin OTC",
    "soc-sign-bitcoinotc": "Bitcoin OTC",
    "bitcoin-alpha": "Bitcoin Alpha",
    "soc-sign-bitcoinalpha": "Bitcoin Alpha",
}


def _is_header(row: Row) -> bool:
    return bool(row.cells) and not row.cells[0].strip().lstrip("-").isdigit() and row.line == 1


def _rating(ctx: LoadContext, row: Row, market: Node) -> list[Node | Edge]:
    if len(row.cells) < 4:
        raise ValueError(f"expected 4 cells (SOURCE,TARGET,RATING,TIME), found {len(row.cells)}")
    rater_id = str(integer(row.cells[0], "SOURCE"))
    ratee_id = str(integer(row.cells[1], "TARGET"))
    rating = integer(row.cells[2], "RATING")
    when = number(row.cells[3], "TIME")
    prov = ctx.prov(row.line, first_seen=when)
    rater, ratee = (
        make_node(ctx.model, "Actor", "handle", f"{ctx.dataset}/{i}", prov=prov) for i in (rater_id, ratee_id)
    )
    rated = Edge(
        "RATED", rater.key, ratee.key, prov, {"rating": rating, "weight": float(rating)}, to_iso(when) or ""
    )
    active = [Edge("ACTIVE_ON", trader.key, market.key, prov) for trader in (rater, ratee)]
    return [rater, ratee, rated, *active]


def read(path: Path, ctx: LoadContext) -> Iterator[Record]:
    """A first record for the marketplace, then one record per rating row."""
    name = PLATFORMS.get(ctx.dataset) or PLATFORMS.get(path.stem) or ctx.dataset
    market = make_node(ctx.model, "Forum", "marketplace", name, prov=ctx.prov(None))
    rows = csv_rows(path, header=False)
    first = next(rows)  # an empty file raises SourceError before anything is yielded
    yield Record(location(path, first.line), "marketplace", [market], raw=name)
    ratings = (row for row in itertools.chain([first], rows) if not _is_header(row))
    yield from row_records(path, "rating", ratings, lambda row: _rating(ctx, row, market))
