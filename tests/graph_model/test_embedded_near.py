"""The embedded store's near() - hubs cut at the cap from remembered counts - against the generic reading."""

from __future__ import annotations

import random

import pytest

from graph_model.entities import Edge, Node, make_node
from graph_model.model import Model
from graph_model.provenance import TLP, Provenance
from graph_model.store import GraphStore, embedded
from graph_model.store.embedded import EmbeddedStore

MARKS = ["CLEAR", "CLEAR", "GREEN", "AMBER", "RED"]


def _prov(rng: random.Random, record: str, dataset: str = "chain") -> Provenance:
    return Provenance.of(dataset, record, tlp=rng.choice(MARKS))  # type: ignore[arg-type]


def _graph(model: Model, rng: random.Random, tag: str) -> tuple[list[Node], list[Edge]]:
    """Wallets and actors at mixed markings (some named by two sources at different markings), two
    wallet hubs and an actor hub, parallel transfers, self-payments, ownership and association links."""
    wallets = [
        make_node(model, "Wallet", "btc", f"1W{tag}{i:03d}", prov=_prov(rng, f"w{i}")) for i in range(60)
    ]
    actors = [make_node(model, "Actor", "handle", f"a{tag}{i}", prov=_prov(rng, f"a{i}")) for i in range(14)]
    again = [
        make_node(model, "Wallet", "btc", f"1W{tag}{i:03d}", prov=_prov(rng, f"w{i}", "report"))
        for i in range(0, 60, 7)
    ]
    edges: list[Edge] = []
    for i, w in enumerate(wallets):
        hubs = [wallets[0], wallets[1]] if i % 3 else [wallets[1]]
        for h in hubs:
            source, target = (h, w) if i % 2 else (w, h)
            edges.append(
                Edge("TRANSFERRED", source.key, target.key, _prov(rng, f"t{tag}{i}{h.key}"), {}, "a")
            )
            if i % 5 == 0:  # paid twice, or both ways
                edges.append(Edge("TRANSFERRED", target.key, source.key, _prov(rng, f"b{tag}{i}"), {}, "b"))
                edges.append(Edge("TRANSFERRED", source.key, target.key, _prov(rng, f"c{tag}{i}"), {}, "c"))
        other = rng.choice(wallets)
        edges.append(Edge("TRANSFERRED", w.key, other.key, _prov(rng, f"r{tag}{i}"), {}, "r"))
    edges += [
        Edge("TRANSFERRED", w.key, w.key, _prov(rng, f"s{tag}{i}"), {}, "s")
        for i, w in enumerate(wallets[:4])
    ]
    for i, a in enumerate(actors):
        edges.append(Edge("OWNS", a.key, wallets[i].key, _prov(rng, f"o{tag}{i}")))
        edges.append(Edge("OWNS", a.key, wallets[0].key, _prov(rng, f"o0{tag}{i}")))
        if i:
            edges.append(Edge("ASSOCIATES_WITH", actors[0].key, a.key, _prov(rng, f"x{tag}{i}")))
    return wallets + actors + again, edges


def _compare(store: EmbeddedStore, model: Model, rng: random.Random, keys: list[str]) -> int:
    """Every answer of store.near equals the generic reading (twice: the second from what it remembers)."""
    type_sets = [
        model.edge_types(),
        frozenset(model.edges),
        model.edge_types("money"),
        frozenset({"TRANSFERRED"}),
        model.edge_types("identity"),
    ]
    asked = 0
    for clearance in TLP:
        for types in type_sets:
            for kinds in (None, frozenset({"Wallet"}), frozenset({"Actor"})):
                for cap in (None, 0, 1, 3, 8):
                    sizes = (0, 3, 60) if cap else (0, 5)
                    for size in sizes:
                        keep = frozenset(rng.sample(keys, size) + (["btc:nowhere"] if size else []))
                        chunk = rng.sample(keys, 8) + keys[:2]
                        asked_for = {"clearance": clearance, "types": types, "kinds": kinds}
                        asked_for |= {"keep": keep, "cap": cap}
                        expected = GraphStore.near(store, chunk, **asked_for)  # type: ignore[arg-type]
                        for _ in range(2):
                            assert store.near(chunk, **asked_for) == expected, (chunk, asked_for)  # type: ignore[arg-type]
                        asked += 1
    return asked


@pytest.mark.parametrize("remembered_from", [embedded.HUB_CACHE_DEGREE, 4])
def test_near_cuts_hubs_as_the_generic_reading_for_every_caller(
    embedded_store: EmbeddedStore, model: Model, monkeypatch: pytest.MonkeyPatch, remembered_from: int
) -> None:
    # Hubs are remembered from so many adjacent entities: the shipped threshold (the two wallet hubs
    # only) and a low one (every entity with more neighbours than the cap).
    monkeypatch.setattr(embedded, "HUB_CACHE_DEGREE", remembered_from)
    rng = random.Random(21)
    nodes, edges = _graph(model, rng, "a")
    embedded_store.upsert(nodes, edges)
    keys = sorted({n.key for n in nodes})
    hub = keys[0]
    assert embedded_store.near([hub], clearance=TLP.RED, types=model.edge_types(), cap=3)[hub].degree > 40
    index = embedded_store.index
    assert len(index._succ[hub]) + len(index._pred[hub]) >= embedded.HUB_CACHE_DEGREE
    assert _compare(embedded_store, model, rng, keys) > 900
    # Written later: more of everything, and same-person candidates (a RED caller following the default
    # edge set no longer sees every edge type held). What was remembered of the hubs is forgotten.
    more, more_edges = _graph(model, rng, "b")
    actors = [n for n in nodes if n.kind == "Actor"]
    more_edges += [
        Edge("SAME_PERSON_CANDIDATE", actors[i].key, actors[i + 1].key, _prov(rng, f"sp{i}", "identify"))
        for i in range(0, len(actors) - 1, 2)
    ]
    more_edges += [Edge("TRANSFERRED", hub, n.key, _prov(rng, f"h{n.key}"), {}, "h") for n in more[:30]]
    embedded_store.upsert(more, more_edges)
    keys = sorted({n.key for n in nodes + more})
    _compare(embedded_store, model, rng, keys)
