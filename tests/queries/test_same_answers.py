"""Every link-analysis question gets the same answer from both stores, on a generated ecosystem and
the ATT&CK / MISP / APT1 excerpts loaded at three markings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from graph_model.store.embedded import EmbeddedStore
from graph_model.store.neo4j_store import Neo4jStore
from loaders import LoadContext, ingest, reader
from loaders.csv_tables import read
from loaders.generate import generate
from queries.associates import common_associates
from queries.centrality import centrality
from queries.communities import communities
from queries.money import money_flow
from queries.neighbourhood import neighbourhood
from queries.paths import paths
from queries.pivots import shared_infrastructure
from queries.scope import Scope
from queries.search import search
from queries.timeline import timeline

LEVELS = (TLP.CLEAR, TLP.AMBER, TLP.RED)
SCOPE = Scope(edge_set="operational")


def _load(store: GraphStore, model: Model, fixtures: Path, generated: Path) -> None:
    ctx = LoadContext(model, "synthetic")
    for path in sorted(generated.glob("*.csv")):
        ingest(store, read(path, ctx))
    ingest(store, reader("stix")(fixtures / "stix" / "attack-excerpt.json", LoadContext(model, "attack")))
    amber = LoadContext(model, "misp", TLP.AMBER)
    ingest(store, reader("misp-galaxy")(fixtures / "misp" / "threat-actor-excerpt.json", amber))
    red = LoadContext(model, "apt1", TLP.RED)
    ingest(store, reader("stix")(fixtures / "stix" / "apt1-indicators.json", red))


def _same(a: GraphStore, b: GraphStore, ask: Callable[[GraphStore], Any]) -> Any:
    """The answer of both stores (as JSON-able data), asserted equal; errors must be equal too."""

    def answer(store: GraphStore) -> Any:
        try:
            found = ask(store)
        except Exception as exc:  # noqa: BLE001 - the error is the answer being compared
            return ("error", type(exc).__name__, str(exc))
        if isinstance(found, set):
            return sorted(found)
        return found.as_dict() if hasattr(found, "as_dict") else [item.as_dict() for item in found]

    first, second = answer(a), answer(b)
    assert first == second
    return first


@pytest.mark.neo4j
def test_both_stores_answer_alike(
    embedded_store: EmbeddedStore, neo4j_store: Neo4jStore, model: Model, fixtures: Path, tmp_path: Path
) -> None:
    report = generate(tmp_path / "eco", 60, seed=5)
    _load(embedded_store, model, fixtures, report.out_dir)
    _load(neo4j_store, model, fixtures, report.out_dir)
    a, b = embedded_store, neo4j_store
    graph = a.subgraph(clearance=TLP.RED)
    keys = sorted(graph.nodes)
    kinds = {k: graph.nodes[k]["kind"] for k in keys}
    seeds = keys[::37]
    assert len(seeds) > 15
    answers = 0
    for level in LEVELS:
        for text in ("apt", "exchange", "bc1q", "fancy bear"):
            found = _same(a, b, lambda s, t=text, lv=level: {n.key for n in search(s, lv, t, limit=500)})
            answers += len(found)
        for seed in seeds:
            near = _same(a, b, lambda s, k=seed, lv=level: neighbourhood(s, lv, [k], depth=2, hub_cap=15))
            answers += len(near) if isinstance(near, tuple) else len(near["nodes"])
            _same(a, b, lambda s, k=seed, lv=level: timeline(s, lv, k, limit=50))
            _same(a, b, lambda s, k=seed, lv=level: shared_infrastructure(s, lv, k))
        for source, target in zip(seeds, seeds[1:] + seeds[:1], strict=True):
            _same(a, b, lambda s, x=source, y=target, lv=level: paths(s, lv, x, y, k=3, max_length=6))
        actors = [k for k in seeds if kinds[k] == "Actor"]
        for pair in zip(actors, actors[1:], strict=False):
            _same(a, b, lambda s, p=pair, lv=level: common_associates(s, lv, list(p)))
        for wallet in [k for k in keys if kinds[k] == "Wallet"][::25]:
            for direction in ("out", "in"):
                _same(a, b, lambda s, w=wallet, d=direction, lv=level: money_flow(s, lv, w, direction=d))
        _same(a, b, lambda s, lv=level: communities(s, lv, SCOPE))
        for metric in ("degree", "betweenness", "pagerank"):
            _same(a, b, lambda s, m=metric, lv=level: centrality(s, lv, SCOPE, metric=m))
    assert answers > 1000
