"""CAIDA AS Relationships files (format ``as-rel``): which autonomous system buys transit from which.

Each line is ``<provider-as>|<customer-as>|-1`` or ``<peer-as>|<peer-as>|0``; the serial-2 files add a fourth
field, the source of the inference (``bgp``, ``mlp``), kept as the link's ``relation``. Lines starting with
``#`` are comments. A provider-customer line becomes a CUSTOMER_OF edge from the customer AS to its upstream
(both ASes as Infrastructure ``asn`` nodes); a peering line is a good record deliberately not loaded (peers do
not carry each other's customers' traffic, so a peer cannot cut a network off). A file named after its
snapshot (``20240101.as-rel2.txt``) dates every link it states to that day.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from graph_model.entities import Edge, Node, make_node
from loaders.records import LoadContext, Record, location
from loaders.tabular import text_lines

PROVIDER_CUSTOMER = "-1"
PEERS = "0"
_SNAPSHOT = re.compile(r"^(\d{4})(\d{2})(\d{2})\.")


def snapshot_day(path: Path) -> str | None:
    """``2024-01-01`` for ``20240101.as-rel2.txt``; None for a file not named after its snapshot."""
    found = _SNAPSHOT.match(path.name)
    return f"{found[1]}-{found[2]}-{found[3]}" if found else None


def _asn(text: str) -> int:
    value = text.strip().upper().removeprefix("AS")
    if not value.isdigit() or int(value) >= 2**32:
        raise ValueError(f"not an AS number: {text.strip()!r}")
    return int(value)


def read(path: Path, ctx: LoadContext) -> Iterator[Record]:
    """One record per relationship line; comments and blank lines are not records."""
    day = snapshot_day(path)
    named = ctx.prov(None, first_seen=day, last_seen=day)
    nodes: dict[int, Node] = {}  # the whole Internet has some 120,000 ASes: small enough to keep

    def node(number: int) -> Node:
        found = nodes.get(number)
        if found is None:
            found = nodes[number] = make_node(
                ctx.model, "Infrastructure", "asn", str(number), prov=named, name=f"AS{number}"
            )
        return found

    for line in text_lines(path):
        where = location(path, line.number)
        if line.text is None:
            yield Record(where, "as-link", error=line.error, raw=line.shown)
            continue
        text = line.text.strip()
        if not text or text.startswith("#"):
            continue
        fields = text.split("|")
        if len(fields) not in (3, 4):
            error = f"expected AS1|AS2|relationship[|source], found {len(fields)} fields"
            yield Record(where, "as-link", error=error, raw=text)
            continue
        try:
            first, second = _asn(fields[0]), _asn(fields[1])
        except ValueError as exc:
            yield Record(where, "as-link", error=str(exc), raw=text)
            continue
        relationship = fields[2].strip()
        if relationship == PEERS:
            yield Record(where, "as-link", skipped="peering link (neither is the other's upstream)", raw=text)
            continue
        if relationship != PROVIDER_CUSTOMER:
            error = f"unknown relationship {relationship!r} (-1 provider-customer, 0 peers)"
            yield Record(where, "as-link", error=error, raw=text)
            continue
        if first == second:
            yield Record(where, "as-link", error=f"AS{first} cannot be its own upstream", raw=text)
            continue
        provider, customer = node(first), node(second)
        props = {"relation": fields[3].strip()} if len(fields) == 4 and fields[3].strip() else {}
        prov = ctx.prov(line.number, first_seen=day, last_seen=day)
        edge = Edge("CUSTOMER_OF", customer.key, provider.key, prov, props)
        yield Record(where, "as-link", [provider, customer, edge], raw=text)
