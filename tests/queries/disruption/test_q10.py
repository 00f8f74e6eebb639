"""Dismantling matches the best published orders, counted in nodes (BASELINES.md's q10 columns, with and
without reinsertion; the Bitcoin networks stay out of CI - their rows are in docs/disruption.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.networks import BEST_Q10, BEST_Q10_REINSERTED, CRIMINAL_SMALL, load_network, published_nodes
from queries.disruption.dismantle import dismantle_order


@pytest.mark.realdata
@pytest.mark.parametrize("name", CRIMINAL_SMALL)
def test_dismantle_removes_no_more_nodes_than_the_best_published(shared_data: Path, name: str) -> None:
    graph = load_network(shared_data / "networks", name)
    n = graph.number_of_nodes()
    found = dismantle_order(graph)
    assert found.q10 <= published_nodes(BEST_Q10[name], n), (found.q10, found.method)
    assert found.q10_reinserted <= published_nodes(BEST_Q10_REINSERTED[name], n)
