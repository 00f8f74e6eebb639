"""Parallel transfers drawn as one edge: every TRANSFERRED edge between the same two wallets (in one
direction) becomes one edge labelled with the count, total, USD and first-last date, through the one
aggregation of :func:`queries.money.parallel_transfers`."""

from __future__ import annotations

from typing import Any

import networkx as nx

from queries.money import parallel_transfers
from queries.results import ParallelTransfers

TRANSFER = "TRANSFERRED"
LISTED = 200  # transfers a merged edge lists when clicked; the rest are counted


def merge_transfers(graph: nx.MultiDiGraph) -> int:
    """Replace each wallet pair's transfers by one edge, in place; how many edges that removed."""
    pairs = parallel_transfers(graph)
    removed = 0
    for pair in pairs:
        keys = [t.key for t in pair.transfers]
        for key in keys:
            graph.remove_edge(pair.source, pair.target, key=key)
        graph.add_edge(
            pair.source, pair.target, key=f"transfers:{pair.source}>{pair.target}", **attributes(pair)
        )
        removed += len(keys) - 1
    return removed


def attributes(pair: ParallelTransfers) -> dict[str, Any]:
    """The merged edge's attributes: what its label, width, tooltip and transfer list show."""
    rows = [
        [
            t.tx_id or t.key,
            t.time or "undated",
            _amount(t.amount, t.asset),
            "" if t.amount_usd is None else f"${t.amount_usd:,.2f}",
        ]
        for t in pair.transfers[:LISTED]
    ]
    return {
        "type": TRANSFER,
        "count": pair.count,
        "total": pair.total,
        "asset": pair.asset,
        "totals": dict(pair.totals),
        "total_usd": pair.total_usd,
        "usd_known": pair.usd_known,
        "first_seen": pair.first,
        "last_seen": pair.last,
        "undated": pair.undated,
        "tlp": pair.tlp,
        "transfer_rows": rows,
        "transfers_left": max(pair.count - LISTED, 0),
    }


def label(attrs: dict[str, Any]) -> str:
    """``52 transfers · 3.587 BTC ($141k)`` and, on a second line, ``2019-01-03 – 2024-08-11``."""
    count = int(attrs.get("count", 0))
    parts = [f"{count:,} transfer{'s' if count != 1 else ''}"]
    totals = attrs.get("totals") or {}
    if attrs.get("total") is not None:
        parts.append(_amount(attrs["total"], attrs.get("asset"), 4))
    elif totals:
        parts.append(" + ".join(_amount(v, k or None, 4) for k, v in totals.items()))
    if attrs.get("total_usd") is not None:
        known = int(attrs.get("usd_known", 0))
        partial = f" for {known} of them" if known < count else ""
        parts[-1] += f" ({_usd(float(attrs['total_usd']))}{partial})"
    text = " · ".join(parts)
    first, last = _day(attrs.get("first_seen")), _day(attrs.get("last_seen"))
    if first:
        text += "\n" + (first if first == last else f"{first} – {last}")
    return text


def weight(attrs: dict[str, Any]) -> float | None:
    """Width by total: USD where known, else the amount."""
    for name in ("total_usd", "total"):
        value = attrs.get(name)
        if isinstance(value, int | float) and value > 0:
            return float(value)
    return None


def _amount(value: float | None, asset: str | None, digits: int = 8) -> str:
    if value is None:
        return "amount unknown"
    return f"{value:,.{digits}g}{' ' + asset if asset else ''}"


def _usd(value: float) -> str:
    """$950, $141k, $1.2M: the scale is what a reader compares."""
    for scale, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"${value / scale:,.3g}{suffix}"
    return f"${value:,.0f}"


def _day(value: Any) -> str:
    return str(value)[:10] if value else ""
