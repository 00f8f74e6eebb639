"""How a network adapts after a takedown: recovery as link prediction, checked on networks seen over time.

After a removal the survivors rewire (Duijn, Kashirin and Sloot, Sci. Rep. 4:4238, 2014). The model
predicts which new ties form, from the network at time t with the removed nodes gone:

- **triadic closure** - pairs of surviving contacts of a removed node that already share another
  surviving contact (a trusted introduction through a common contact);
- **attachment to the surviving broker** - the other surviving contacts of a removed node tie to its
  best-connected surviving contact, who takes over the removed node's brokerage.

Each predicted tie is scored (:func:`tie_score`: removed contacts the pair shared, plus the Adamic-Adar
index of its surviving common contacts, plus a bonus for the broker tie); ``p`` - the ``--recovery``
option - is the *share of the predicted ties that form*, the best-scored first (ties broken by a seeded
order), so the same graph, removal, ``p`` and seed always give the same rewired network.

The model was checked on the Bitcoin OTC and Bitcoin Alpha trust networks, whose ratings carry timestamps
(``benchmarks/recovery_validation.py``; figures in docs/disruption.md and :data:`VALIDATION`): at several
times t, the nodes with no activity after t count as removed, and the ties that appear among the survivors
in the next period are what the model should predict; it is compared with a null model placing the same
number of ties at random among the survivors. :func:`validated` says whether it beat the null everywhere
it was checked; when it does not, every recovery verdict says so.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Hashable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

import networkx as nx

from graph_model.errors import InvalidArgument

FRAGILE_RETAINED = 0.5  # a plan keeping less than half of an effect after recovery is flagged
BROKER_BONUS = 0.5
MAX_CONTACTS = 1000  # surviving contacts of one removed node considered for triadic closure
VALIDATION = Path(__file__).with_name("recovery_validation.json")


def check_probability(p: float | None) -> float | None:
    if p is not None and (isinstance(p, bool) or not isinstance(p, int | float) or not 0.0 <= p <= 1.0):
        raise InvalidArgument(f"recovery must be a share of predicted ties within 0-1, got {p!r}")
    return p


def tie_score(graph: nx.Graph, gone: set[Hashable], u: Hashable, w: Hashable, broker: bool = False) -> float:
    """How likely the survivors ``u`` and ``w`` tie up after ``gone`` are removed (higher = likelier).

    Removed contacts they shared count 1 each, surviving common contacts ``z`` count ``1 / ln(deg z)``
    (Adamic-Adar), and a tie to the surviving broker of a removed contact gets :data:`BROKER_BONUS`.

    Examples
    --------
    >>> g = nx.Graph([("r", "a"), ("r", "b"), ("a", "c"), ("b", "c")])
    >>> round(tie_score(g, {"r"}, "a", "b"), 3)
    2.443
    """
    adj = graph.adj
    shared = adj[u].keys() & adj[w].keys()
    lost = sum(1 for z in shared if z in gone)
    common = sum(1.0 / math.log(len(adj[z])) for z in shared if z not in gone and len(adj[z]) > 1)
    return lost + common + (BROKER_BONUS if broker else 0.0)


def predicted_ties(
    graph: nx.Graph, removed: Iterable[Hashable]
) -> list[tuple[Hashable, Hashable, float, str]]:
    """The ties the model predicts after ``removed`` go, best-scored first (deterministic order), each
    with its score and mechanism (``broker`` or ``triadic``).

    Examples
    --------
    >>> [(u, w, how) for u, w, _, how in predicted_ties(nx.star_graph(3), [0])]
    [(1, 3, 'broker'), (2, 3, 'broker')]
    """
    gone = {v for v in removed if v in graph}
    found: dict[tuple[Hashable, Hashable], bool] = {}
    for node in sorted(gone, key=str):
        survivors = sorted((m for m in graph.adj[node] if m not in gone), key=str)
        if len(survivors) < 2:
            continue
        live_degree = {m: sum(1 for z in graph.adj[m] if z not in gone) for m in survivors}
        broker = max(survivors, key=lambda m: (live_degree[m], str(m)))
        for u in survivors:
            if u != broker and not graph.has_edge(u, broker):
                found[_pair(u, broker)] = True
        near = survivors[:MAX_CONTACTS] if len(survivors) > MAX_CONTACTS else survivors
        members = set(near)
        for u in near:
            for z in graph.adj[u]:
                if z in gone:
                    continue
                for w in graph.adj[z]:
                    if w in members and w != u and not graph.has_edge(u, w):
                        found.setdefault(_pair(u, w), False)
    scored = [
        (u, w, tie_score(graph, gone, u, w, broker), "broker" if broker else "triadic")
        for (u, w), broker in found.items()
    ]
    return sorted(scored, key=lambda t: (-t[2], str(t[0]), str(t[1])))


def _pair(u: Hashable, w: Hashable) -> tuple[Hashable, Hashable]:
    return (u, w) if str(u) <= str(w) else (w, u)


def recover(graph: nx.Graph, removed: Iterable[Hashable], p: float, *, seed: int = 0) -> nx.Graph:
    """The graph without ``removed`` after the share ``p`` of the predicted ties form (best-scored first;
    among equal scores a ``seed``-ed order decides). New edges carry ``types={"RECOVERED"}``.

    Examples
    --------
    >>> star = nx.star_graph(4)
    >>> after = recover(star, [0], 1.0)
    >>> nx.is_connected(after), after.number_of_nodes()
    (True, 4)
    >>> recover(star, [0], 0.0).number_of_edges()
    0
    """
    check_probability(p)
    gone = {v for v in removed if v in graph}
    after = graph.copy()
    after.remove_nodes_from(gone)
    ties = predicted_ties(graph, gone)
    rng = random.Random(seed)
    jitter = {(u, w): rng.random() for u, w, _, _ in ties}
    ties.sort(key=lambda t: (-t[2], jitter[t[0], t[1]]))
    for u, w, _, _ in ties[: math.ceil(p * len(ties) - 1e-9)]:
        after.add_edge(u, w, types={"RECOVERED"})
    return after


def retained(
    before: dict[str, Any], after: dict[str, Any], recovered: dict[str, Any]
) -> dict[str, float | None]:
    """The share of each effect that survives recovery (None where the removal had no such effect).

    ``lcc``: of the largest part's reduction; ``fragmentation``: of the F gain; ``cashout``: of the money
    holders cut off a cash-out service.

    Examples
    --------
    >>> retained({"lcc": 10, "fragmentation": 0.0, "cashout_reachable": 4},
    ...          {"lcc": 4, "fragmentation": 0.6, "cashout_cut": 4},
    ...          {"lcc": 7, "fragmentation": 0.3, "cashout_cut": 1})
    {'lcc': 0.5, 'fragmentation': 0.5, 'cashout': 0.25}
    """
    drop = before["lcc"] - after["lcc"]
    gain = after["fragmentation"] - before["fragmentation"]
    cut = after.get("cashout_cut", 0)
    return {
        "lcc": _share(before["lcc"] - recovered["lcc"], drop) if drop > 0 else None,
        "fragmentation": _share(recovered["fragmentation"] - before["fragmentation"], gain)
        if gain > 1e-12
        else None,
        "cashout": _share(recovered.get("cashout_cut", 0), cut) if cut > 0 else None,
    }


def _share(kept: float, total: float) -> float:
    return round(min(1.0, max(0.0, kept / total)), 6)


@cache
def validation() -> dict[str, Any]:
    """The recorded check of the model against the null (``recovery_validation.json``)."""
    try:
        data: dict[str, Any] = json.loads(VALIDATION.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"networks": {}}
    return data


def validated() -> bool:
    """Whether the model beat the null model (AUC and precision) on every network it was checked on."""
    networks = validation().get("networks") or {}
    return bool(networks) and all(
        run["model"]["auc"] > run["null"]["auc"] and run["model"]["precision"] > run["null"]["precision"]
        for runs in networks.values()
        for run in runs
    )
