"""Ransomware payment addresses of "Showing the Receipts" (Cable, Gray and McCoy, eCrime 2024).

Each row is a Bitcoin address with what it received (USD and BTC) and how the authors found it
(``type``: a Ransomwhere report, their original clustering or its expansion), kept as ``label_kind``.
The file names no family; the addresses join the Ransomwhere wallets (and so their families) by
address, since a Wallet/btc node is keyed by the exact address.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from graph_model.errors import ValidationError
from loaders.bitcoin import btc_wallet
from loaders.records import LoadContext, Record, location
from loaders.tabular import csv_rows, number

COLUMNS = ("address", "type", "amountReceivedUSD", "amountReceivedBTC")


def read(path: Path, ctx: LoadContext) -> Iterator[Record]:
    """One record per address row."""
    for row in csv_rows(path, required=COLUMNS):
        where = location(path, row.line)
        if row.error:
            yield Record(where, "wallet", error=row.error, raw=row.text)
            continue
        try:
            props = {
                "received_usd": number(row["amountReceivedUSD"], "amountReceivedUSD"),
                "received_btc": number(row["amountReceivedBTC"], "amountReceivedBTC"),
                "label_kind": [row["type"].strip()] if row["type"].strip() else [],
            }
            wallet = btc_wallet(ctx, row["address"], ctx.prov(row.line), props)
        except (ValueError, ValidationError) as exc:
            yield Record(where, "wallet", error=str(exc), raw=row.text)
            continue
        yield Record(where, "wallet", [wallet], raw=row.text)
