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
from functools import partial
from pathlib import Path

from loaders.bitcoin import btc_wallet, collects_into
from loaders.records import LoadContext, Record, location
from loaders.rows import Items, row_records
from loaders.tabular import Row, csv_rows

COLUMNS = ("schema", "name", "aliases", "first_seen", "last_seen")


def _labels(text: str) -> list[str]:
    # OpenSanctions joins several values with ';' (this export has one label per row).
    return [label.strip() for label in text.split(";") if label.strip()] or ["Unlabeled"]


def _wallet(ctx: LoadContext, path: Path, row: Row) -> Items | Record:
    if row["schema"] != "CryptoWallet":
        where = location(path, row.line)
        return Record(where, row["schema"] or "unknown", skipped=f"not a CryptoWallet ({row['schema']})")
    address = row["name"] or row.get("identifiers")
    labels = _labels(row["aliases"])
    prov = ctx.prov(row.line, first_seen=row["first_seen"], last_seen=row["last_seen"])
    wallet = btc_wallet(ctx, address, prov, {"families": labels})
    items: Items = [wallet]
    for label in labels:
        items += collects_into(ctx, label, wallet, prov)
    return items


def read(path: Path, ctx: LoadContext) -> Iterator[Record]:
    """One record per wallet row; rows of other OpenSanctions schemas are skipped."""
    yield from row_records(path, "wallet", csv_rows(path, required=COLUMNS), partial(_wallet, ctx, path))
