"""Dates mean one thing each, on both stores: first/last seen = observed, created/modified = the source
object's own, date_added = first loaded; a time window leaves undated links out unless asked, and says
how many it left out."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_model.entities import Edge, make_node
from graph_model.model import Model
from graph_model.provenance import TLP, Provenance
from graph_model.store import GraphStore
from loaders import LoadContext, ingest, reader
from queries import money, neighbourhood, neighbours
from queries.scope import Scope, scope_graph

APT28 = "uuid:bef4c620-0787-42a8-a96d-b7eb6e85917c"
DREAM_JOB = "uuid:0257b35b-93ef-4a70-80dd-ad5258e6045b"


def test_stix_dates_keep_their_meaning(store: GraphStore, fixtures: Path) -> None:
    """An ATT&CK group has no first_seen (MITRE never says when it was observed): its created/modified
    are the record's dates, not observations; a campaign's first_seen is observed."""
    summary = ingest(
        store, reader("stix")(fixtures / "stix" / "attack-excerpt.json", LoadContext(store.model, "attack"))
    )
    assert summary.rejected == 0
    group = store.get(APT28, clearance=TLP.CLEAR)
    assert group.prov.first_seen is None and group.prov.last_seen is None
    assert group.prov.created == "2017-05-31T21:31:48Z"
    assert group.prov.modified == "2025-03-10T20:15:06Z"
    assert group.prov.date_added is not None and group.prov.date_added > "2025"
    campaign = store.get(DREAM_JOB, clearance=TLP.CLEAR)
    assert campaign.prov.first_seen == "2019-09-01T04:00:00Z"
    assert campaign.prov.created == "2023-03-17T13:37:42Z"
    # Relationships too: ATT&CK's carry no start_time, so no observed date.
    around = store.neighbourhood([APT28], clearance=TLP.CLEAR)
    assert around.edges
    for edge in around.edges.values():
        assert edge.prov.first_seen is None and edge.prov.created is not None
        assert edge.prov.date_added is not None
    graph = store.subgraph(clearance=TLP.CLEAR)
    attrs = graph.nodes[APT28]
    assert (attrs["created"], attrs["modified"], attrs["first_seen"]) == (
        "2017-05-31T21:31:48Z",
        "2025-03-10T20:15:06Z",
        None,
    )


def _wallets(model: Model) -> list[str]:
    return [f"bc1qdates{i}xxxxxxxxxxxxxxxxxxxxxxxxxx" for i in range(4)]


def _money(store: GraphStore, model: Model) -> list[str]:
    """A wallet paying three others: one transfer dated 2021, one dated 2023, one undated (a public
    source dated the undated one nowhere; an AMBER report dates it, which a CLEAR caller must not see)."""
    addresses = _wallets(model)
    nodes = [make_node(model, "Wallet", "btc", a, prov=Provenance.of("chain", a)) for a in addresses]
    keys = [n.key for n in nodes]
    edges = [
        Edge(
            "TRANSFERRED", keys[0], keys[1], Provenance.of("chain", "t1", first_seen="2021-05-01"), {}, "t1"
        ),
        Edge(
            "TRANSFERRED", keys[0], keys[2], Provenance.of("chain", "t2", first_seen="2023-02-01"), {}, "t2"
        ),
        Edge("TRANSFERRED", keys[0], keys[3], Provenance.of("chain", "t3"), {}, "t3"),
        Edge(
            "TRANSFERRED",
            keys[0],
            keys[3],
            Provenance.of("report", "9", tlp="AMBER", first_seen="2023-06-01"),
            {},
            "t3",
        ),
    ]
    store.upsert(nodes, edges)
    return keys


def test_windows_leave_undated_links_out_and_count_them(store: GraphStore, model: Model) -> None:
    keys = _money(store, model)
    origin = keys[0]
    # No window: everything, nothing counted.
    whole = neighbourhood.outline(store, TLP.CLEAR, [origin])
    assert len(whole.links) == 3 and whole.undated_left_out == 0
    # A window: the undated transfer is out (for CLEAR: the AMBER report's date is not the caller's).
    since = neighbourhood.outline(store, TLP.CLEAR, [origin], since="2022-01-01")
    assert {link.target for link in since.links} == {keys[2]}
    assert since.undated_left_out == 1
    asked = neighbourhood.outline(store, TLP.CLEAR, [origin], since="2022-01-01", include_undated=True)
    assert {link.target for link in asked.links} == {keys[2], keys[3]}
    assert asked.undated_left_out == 0
    # AMBER sees the report's date: the transfer is dated, in the window, and nothing is left out.
    amber = neighbourhood.outline(store, TLP.AMBER, [origin], since="2022-01-01")
    assert {link.target for link in amber.links} == {keys[2], keys[3]}
    assert amber.undated_left_out == 0
    # The full neighbourhood (records read) says the same.
    near = neighbourhood.neighbourhood(store, TLP.CLEAR, [origin], until="2022-01-01")
    assert [e.target for e in near.edges] == [keys[1]] and near.undated_left_out == 1
    # One entity's links, paged.
    page = neighbours.neighbours(store, TLP.CLEAR, origin, since="2020-01-01")
    assert page.total == 2 and page.undated_left_out == 1
    wide = neighbours.neighbours(store, TLP.CLEAR, origin, since="2020-01-01", include_undated=True)
    assert wide.total == 3 and wide.undated_left_out == 0
    # Money flow counts the onward transfers it could not place in time.
    flow = money.money_flow(store, TLP.CLEAR, origin, since="2020-01-01")
    assert {d.node.key for d in flow.destinations} == {keys[1], keys[2]}
    assert flow.network.undated_left_out == 1
    flow = money.money_flow(store, TLP.CLEAR, origin, since="2020-01-01", include_undated=True)
    assert {d.node.key for d in flow.destinations} == {keys[1], keys[2], keys[3]}
    assert flow.network.undated_left_out == 0


@pytest.mark.parametrize("around", [True, False], ids=["keys", "whole-graph"])
def test_scopes_leave_undated_links_out_and_count_them(store: GraphStore, model: Model, around: bool) -> None:
    keys = _money(store, model)
    base = {"keys": (keys[0],)} if around else {}
    graph = scope_graph(store, TLP.CLEAR, Scope(since="2020-01-01", **base))  # type: ignore[arg-type]
    assert graph.number_of_edges() == 2 and graph.graph["undated_left_out"] == 1
    graph = scope_graph(store, TLP.CLEAR, Scope(since="2020-01-01", include_undated=True, **base))  # type: ignore[arg-type]
    assert graph.number_of_edges() == 3 and graph.graph.get("undated_left_out", 0) == 0
    graph = scope_graph(store, TLP.CLEAR, Scope(**base))  # type: ignore[arg-type]
    assert graph.number_of_edges() == 3 and graph.graph.get("undated_left_out", 0) == 0
