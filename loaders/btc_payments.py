"""Transaction-level ransom payments (Huang et al. 2018, Cerber and Locky, 2016-2017).

Each row is one output of a Bitcoin transaction paying a likely ransom address. The payer's address
is not in the file, so the payer is a Wallet/cluster node ``tx:<txn_hash>`` standing for the inputs
of that transaction, with a TRANSFERRED edge to the ransom Wallet/btc address (amount in BTC, USD at
payment time, time, tx id, output index). The family collects into the ransom wallet.

``(txn_hash, output_index)`` is not unique in this file (rows repeat a pair with other amounts), so
the edge discriminator is ``<txn_hash>:<output_index>:<amount>``: such rows stay separate payments,
while the very same row loaded twice merges.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from graph_model.entities import Edge, Node, make_node
from loaders.bitcoin import btc_wallet, collects_into
from loaders.records import LoadContext, Record
from loaders.rows import row_records
from loaders.tabular import csv_rows, integer, number

COLUMNS = (
    "family",
    "txn_hash",
    "output_index",
    "potential_ransom_wallet_addr",
    "potential_ransom_btc",
    "potential_ransom_usd",
    "unix_ts",
)


def _payment(ctx: LoadContext, line: int, row: dict[str, str]) -> list[Node | Edge]:
    txid = row["txn_hash"].strip().lower()
    if not txid:
        raise ValueError("txn_hash: empty")
    output = integer(row["output_index"], "output_index")
    amount = number(row["potential_ransom_btc"], "potential_ransom_btc")
    usd = number(row["potential_ransom_usd"], "potential_ransom_usd") if row["potential_ransom_usd"] else None
    when = number(row["unix_ts"], "unix_ts")
    prov = ctx.prov(line, first_seen=when)
    wallet = btc_wallet(ctx, row["potential_ransom_wallet_addr"], prov, {"families": [row["family"].strip()]})
    payer = make_node(ctx.model, "Wallet", "cluster", f"tx:{txid}", prov=prov)
    props = {"amount": amount, "asset": "BTC", "time": when, "tx_id": txid, "output_index": output}
    if usd is not None:
        props["amount_usd"] = usd
    transfer = Edge(
        "TRANSFERRED", payer.key, wallet.key, prov, props, discriminator=f"{txid}:{output}:{amount!r}"
    )
    return [payer, wallet, transfer, *collects_into(ctx, row["family"], wallet, prov)]


def read(path: Path, ctx: LoadContext) -> Iterator[Record]:
    """One record per payment row; an unnamed leading (pandas index) column is ignored."""
    rows = csv_rows(path, required=COLUMNS)
    yield from row_records(path, "payment", rows, lambda row: _payment(ctx, row.line, row.as_dict()))
