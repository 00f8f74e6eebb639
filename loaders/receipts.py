"""Ransomware payment addresses of "Showing the Receipts" (Cable, Gray and McCoy, eCrime 2024).

Each row is a Bitcoin address with what it received (USD and BTC) and how the authors found it
(``type``: a Ransomwhere report, their original clustering or its expansion), kept as ``label_kind``.
The file names no family; the addresses join the Ransomwhere wallets (and so their families) by
address, since a Wallet/btc node is keyed by the exact address.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path

from loaders.bitcoin import btc_wallet
from loaders.records import LoadContext, Record
from loaders.rows import Items, row_records
from loaders.tabular import Row, csv_rows, number

COLUMNS = ("address", "type", "amountReceivedUSD", "amountReceivedBTC")


def _wallet(ctx: LoadContext, row: Row) -> Items:
    props = {
        "received_usd": number(row["amountReceivedUSD"], "amountReceivedUSD"),
        "received_btc": number(row["amountReceivedBTC"], "amountReceivedBTC"),
        "label_kind": [row["type"].strip()] if row["type"].strip() else [],
    }
    return [btc_wallet(ctx, row["address"], ctx.prov(row.line), props)]


def read(path: Path, ctx: LoadContext) -> Iterator[Record]:
    """One record per address row."""
    yield from row_records(path, "wallet", csv_rows(path, required=COLUMNS), partial(_wallet, ctx))
