"""Ransomwhere ransomware wallets, as re-published by OpenSanctions (``targets.simple.csv``).

Each row is one Bitcoin address with its Ransomwhere family label (the ``aliases`` column). The
address becomes a Wallet/btc node (kept exactly as written) whose ``families`` property holds the
label; a real family also becomes a Malware node keyed by its name - so it merges with the ATT&CK and
MISP entries of the same name - with a COLLECTS_INTO edge to the wallet. "Unlabeled" makes no family.

``first_seen``/``last_seen`` in this file are OpenSanctions crawl times, not blockchain dates; they
still go into provenance, since they are when this source saw the address.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from graph_model.entities import Edge, Node
from graph_model.errors import ValidationError
from loaders.bitcoin import btc_wallet, collects_into
from loaders.records import LoadContext, Record, location
from loaders.tabular import csv_rows

COLUMNS = ("schema", "name", "aliases", "first_seen", "last_seen")


def _labels(text: str) -> list[str]:
    # OpenSanctions joins several values with ';' (this export has one label per row).
    return [label.strip() for label in text.split(";") if label.strip()] or ["Unlabeled"]


def read(path: Path, ctx: LoadContext) -> Iterator[Record]:
    """One record per wallet row; rows of other OpenSanctions schemas are skipped."""
    for row in csv_rows(path, required=COLUMNS):
        where = location(path, row.line)
        if row.error:
            yield Record(where, "wallet", error=row.error, raw=row.text)
            continue
        if row["schema"] != "CryptoWallet":
            yield Record(where, row["schema"] or "unknown", skipped=f"not a CryptoWallet ({row['schema']})")
            continue
        address = row["name"] or row.get("identifiers")
        labels = _labels(row["aliases"])
        try:
            prov = ctx.prov(row.line, first_seen=row["first_seen"], last_seen=row["last_seen"])
            wallet = btc_wallet(ctx, address, prov, {"families": labels})
        except (ValueError, ValidationError) as exc:
            yield Record(where, "wallet", error=str(exc), raw=row.text)
            continue
        items: list[Node | Edge] = [wallet]
        for label in labels:
            items += collects_into(ctx, label, wallet, prov)
        yield Record(where, "wallet", items, raw=row.text)
