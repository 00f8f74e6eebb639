"""moneyFlow from a hub reads its transfers in pages: only as many as the answer can hold (both stores)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from graph_model.provenance import TLP
from graph_model.store import GraphStore
from graph_model.store.base import Facts
from queries.money import TRANSFER, money_flow
from tests.backend.api.conftest import load_demo


def test_a_hub_origin_reads_a_page_of_its_transfers(store: GraphStore, monkeypatch: Any) -> None:
    load_demo(store)
    graph = store.subgraph(clearance=TLP.CLEAR, edge_types=[TRANSFER])
    hub = max(
        (n for n, d in graph.nodes(data=True) if d["kind"] == "Wallet"),
        key=lambda n: (graph.out_degree(n), n),
    )
    out = store.links([hub], clearance=TLP.CLEAR, types=frozenset({TRANSFER}))
    ends = sorted({link.target for link in out if link.source == hub and link.target != hub})
    assert len(ends) > 20
    monkeypatch.setattr("queries.money.PAGE_WALLETS", 4)  # pages of a demo's size
    read: list[int] = []
    onward_page = store.onward_page

    def counted(keys: Sequence[str], **asked: Any) -> tuple[list[Facts], str | None]:
        page, after = onward_page(keys, **asked)
        read.append(len(page))
        return page, after

    monkeypatch.setattr(store, "onward_page", counted)
    monkeypatch.setattr(store, "edges", lambda *a, **k: pytest.fail("a transfer record was read whole"))
    flow = money_flow(store, TLP.CLEAR, hub, max_hops=4, limit=6, records=False)
    # The first 5 wallets by key fill the room (the origin is the 6th); most others are never read.
    assert flow.network.truncated
    assert sorted(n.key for n in flow.network.nodes if n.key != hub) == ends[:5]
    transfers_out = sum(1 for link in out if link.source == hub)
    assert sum(read) < transfers_out / 2
    monkeypatch.undo()
    whole = money_flow(store, TLP.CLEAR, hub, max_hops=1, limit=5000)
    assert sorted(d.node.key for d in whole.destinations) == ends
    # The same answer with and without the records; the network's links are those of its edges.
    again = money_flow(store, TLP.CLEAR, hub, max_hops=4, limit=6)
    assert again.destinations == flow.destinations and again.network.nodes == flow.network.nodes
    assert (
        [e.key for e in again.network.edges]
        == [link.key for link in flow.links]
        == [link.key for link in again.links]
    )
    assert flow.network.edges == []
