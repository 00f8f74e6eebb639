"""MISP's transaction objects (``cryptocurrency-transaction``, ``btc-transaction``) load as TRANSFERRED links:
from the wallet whose object ``sends`` the transaction to the wallet it ``sends-to``: a hand-made event with
one transaction object per case. (The demo's round trips through ``export misp`` and through ``export
misp-stix`` and misp-stix's import are in ``tests/backend/export/test_misp.py``.)"""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path
from typing import Any

from pymisp import MISPEvent, MISPObject

from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from loaders import LoadContext, ingest, misp_event
from loaders.ingest import IngestSummary

PROPERTIES = ("amount", "asset", "amount_usd", "time", "tx_id", "output_index")
NS = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")


def _load(store: EmbeddedStore, path: Path) -> tuple[IngestSummary, list[dict[str, Any]]]:
    rejects = io.StringIO()
    summary = ingest(store, misp_event.read(path, LoadContext(store.model, "partner")), rejects=rejects)
    return summary, [json.loads(line) for line in rejects.getvalue().splitlines()]


def _u(name: str) -> str:
    return str(uuid.uuid5(NS, "crimegraph-test:" + name))


WALLETS = {
    "a": "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
    "b": "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
    "c": "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
    "red": "1HLoD9E4SDFFPDiYfNYnkBLQ85Y51J3Zb1",
}
TXID = "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"


def _hand_made_event() -> dict[str, Any]:
    """A MISP event (made with PyMISP) with one transaction object per case."""
    event = MISPEvent()
    event.uuid = _u("event")
    event.info = "Ransom payments"
    event.add_tag("tlp:green")
    objects: dict[str, MISPObject] = {}
    for name, address in WALLETS.items():
        wallet = MISPObject("btc-wallet", standalone=False)
        wallet.uuid = _u(name)
        wallet.add_attribute("wallet-address", address, Tag=["tlp:red"] if name == "red" else [])
        objects[name] = event.add_object(wallet)
    domain = MISPObject("domain-ip", standalone=False)
    domain.uuid = _u("domain")
    domain.add_attribute("domain", "pay.example")
    objects["domain"] = event.add_object(domain)

    def transaction(name: str, template: str = "cryptocurrency-transaction", **values: Any) -> MISPObject:
        made = MISPObject(template, standalone=False)
        made.uuid = _u(name)
        for relation, value in values.items():
            tags = ["tlp:amber"] if relation == "value" and name == "full" else []
            made.add_attribute(relation.replace("__", "-"), value, Tag=tags)
        return event.add_object(made)

    def sends(sender: str, made: MISPObject, *receivers: str) -> None:
        objects[sender].add_reference(made.uuid, "sends")
        for receiver in receivers:
            made.add_reference(objects[receiver].uuid, "sends-to")

    full = transaction(
        "full", transaction__number=TXID, time="2021-03-04T05:06:07+01:00", value=10.5, symbol="btc",
        value_USD=525000.0, value_EUR=430000.0,
    )  # fmt: skip
    sends("a", full, "b")
    # The same tx id between the same wallets, another object: a parallel transfer, not a merge.
    sends("a", transaction("again", transaction__number=TXID, value=0.5, symbol="BTC"), "b")
    sends("c", transaction("no-receiver", value=1.0, symbol="BTC"))
    sends("c", transaction("to-address", value=2.0, address="12c6DSiU4Rq3P4ZxziKxzrGLxnJFbodtQ1"))
    transaction("address-only", transaction__number="ab" * 32, address="1dice8EMZmqKvrGE4Qc9bUFf9PX3xaYDp")
    sends("a", transaction("two-senders", transaction__number="cd" * 32, value=3.0, symbol="BTC"), "b")
    objects["c"].add_reference(_u("two-senders"), "sends")
    sends("a", transaction("to-a-domain", value=4.0, symbol="BTC"), "domain")
    sends("red", transaction("from-red", transaction__number="ef" * 32, value=5.0), "b")
    btc = transaction("btc", "btc-transaction", transaction__number="12" * 32, value_BTC=0.75, time="2021")
    sends("b", btc, "c")
    sends("b", transaction("bad-value", value=1.0, time="2021-03-04T05:06:07Z"), "c")
    data: dict[str, Any] = json.loads(event.to_json())
    for obj in data["Object"]:  # values PyMISP would not write, as a hand-edited file holds them
        for attribute in obj["Attribute"] if obj["uuid"] == _u("bad-value") else ():
            attribute["value"] = {"value": "lots", "time": "last week"}[attribute["object_relation"]]
        for attribute in obj["Attribute"] if obj["uuid"] == _u("btc") else ():
            if attribute["object_relation"] == "time":
                attribute["value"] = "1609459200"  # epoch seconds
    return {"Event": data}


def test_hand_made_transactions_each_case(embedded_store: EmbeddedStore, tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(_hand_made_event()))
    summary, rejects = _load(embedded_store, path)
    assert summary.rejected == 0
    graph = embedded_store.subgraph(clearance=TLP.RED)
    key = {name: f"btc:{address}" for name, address in WALLETS.items()}
    key["paid"], key["dice"] = (
        "btc:12c6DSiU4Rq3P4ZxziKxzrGLxnJFbodtQ1",
        "btc:1dice8EMZmqKvrGE4Qc9bUFf9PX3xaYDp",
    )
    transfers = {
        (u, v, data.get("tx_id"), data.get("amount")): data
        for u, v, data in graph.edges(data=True)
        if data["type"] == "TRANSFERRED"
    }
    # Everything the template says, in the CSV loader's units; marked at its most restrictive tag (AMBER).
    full = transfers[key["a"], key["b"], TXID, 10.5]
    assert {n: full.get(n) for n in PROPERTIES} == {
        "amount": 10.5, "asset": "BTC", "amount_usd": 525000.0, "time": "2021-03-04T04:06:07Z",
        "tx_id": TXID, "output_index": None,
    }  # fmt: skip
    assert full["tlp"] == "AMBER"
    assert (key["a"], key["b"], TXID, 0.5) in transfers  # same tx id, another object: kept apart
    # One side named by a reference, the other by the transaction's own address.
    assert transfers[key["c"], key["paid"], None, 2.0]["asset"] == "BTC"
    # Two senders: a transfer from each, without an amount (it cannot be split).
    split = {(u, a) for u, v, tx_id, a in transfers if tx_id == "cd" * 32}
    assert split == {(key["a"], None), (key["c"], None)}
    # A sender tagged tlp:red makes its transfer RED.
    assert transfers[key["red"], key["b"], "ef" * 32, 5.0]["tlp"] == "RED"
    # MISP's older btc-transaction template: amount in value_BTC, asset BTC; a time in epoch seconds.
    btc = transfers[key["b"], key["c"], "12" * 32, 0.75]
    assert (btc["asset"], btc["time"]) == ("BTC", "2021-01-01T00:00:00Z")
    bad = transfers[key["b"], key["c"], None, None]
    assert "time" not in bad and bad["asset"] == "BTC"  # the sender's chain
    assert len(transfers) == 8
    # A transaction with its address only: the address is a wallet the event refers to, and no transfer.
    report = f"stix:report--{_u('event')}"
    assert graph.has_edge(report, key["dice"]) and graph.degree(key["dice"]) == 1
    assert not graph.has_edge(key["a"], "domain:pay.example")  # a transaction sent to a domain: no link
    assert dict(summary.skipped_by_reason) == {
        "cryptocurrency-transaction names no receiving wallet (no 'sends-to' reference from it to a wallet "
        "object): no transfer loaded": 1,
        "cryptocurrency-transaction names no receiving wallet (what it 'sends-to' is not a wallet): no "
        "transfer loaded": 1,
    }
    assert dict(summary.warnings_by_reason) == {
        "cryptocurrency-transaction names no sending wallet (no wallet object 'sends' it) and no receiving "
        "wallet (no 'sends-to' reference from it to a wallet object): no transfer loaded; its address is "
        "loaded as a wallet": 1,
        "cryptocurrency-transaction from 2 sending wallets to 1 receiving wallet: its value is not split "
        "between them, so its transfers are loaded without an amount": 1,
        "cryptocurrency-transaction: value left out: not a number: '…'": 1,
        "cryptocurrency-transaction: time left out: not a date/time: '…'": 1,
    }
    skipped = {r["location"].rpartition("#")[2] for r in rejects if r.get("skipped")}
    assert skipped == {_u("no-receiver"), _u("to-a-domain")}
    # Loading the same event again merges: no new node or link.
    again, _ = _load(embedded_store, path)
    assert again.store.nodes_new == again.store.edges_new == 0
