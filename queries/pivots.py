"""Pivoting on infrastructure and money: who else uses the servers, domains and wallets an entity uses."""

from __future__ import annotations

import math
from collections import defaultdict

from graph_model.errors import LimitExceeded
from graph_model.provenance import TLP
from graph_model.store.base import GraphStore, Link
from graph_model.words import counted
from queries.results import Ranked
from queries.scope import resolve_keys

PIVOT_KINDS = frozenset({"Infrastructure", "Wallet"})
PIVOT_SETS = ("infrastructure", "money")
MAX_LIMIT = 200
# A pivot with more neighbours than this (a big hoster, an exchange) is not walked back from: it would
# touch much of the graph and, down-weighted by 1/ln(1 + degree), add almost nothing to any score.
WALK_CAP = 1000


def shared_infrastructure(
    store: GraphStore, clearance: TLP, key: str, *, limit: int | None = 20
) -> list[Ranked]:
    """Entities of the same kind as ``key`` that share infrastructure or wallets with it, ranked.

    An entity's footprint is the infrastructure and wallets within two hops of it over the schema's
    ``infrastructure`` and ``money`` edge sets (the second hop from infrastructure or a wallet only:
    an actor's domain's IP, a group's wallet's counterpart). Two entities share the pivots in both
    footprints. Each shared pivot adds ``1 / ln(1 + degree)`` to the score, its degree being how many
    neighbours the caller can see it has over those edge sets (the Adamic-Adar weighting: an IP two
    domains resolve to says more than a hoster of ten thousand). Pivots with more than 1,000
    neighbours are not walked back from: at that size a pivot says next to nothing (1/ln 1001 = 0.14)
    and would touch much of the graph.

    ``detail`` holds ``{"shared": n, "pivots": [[key, degree], ...]}`` (at most ten, heaviest first);
    ``why`` says the same in words. Only what the caller may see is walked or counted.

    Examples
    --------
    >>> from queries.sample import sample_store
    >>> found = shared_infrastructure(sample_store(), TLP.CLEAR, "group:lockbit")
    >>> [(r.node.name, r.detail["shared"]) for r in found]
    [('bassterlord', 2), ('Conti', 1)]
    >>> found[1].why.split(";")[0]
    'shares 1 pivot: 203.0.113.10 (2 neighbours)'
    """
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise LimitExceeded(f"limit {limit} is outside 1-{MAX_LIMIT}")
    types = frozenset().union(*(store.model.edge_sets[name] for name in PIVOT_SETS))
    (origin,) = resolve_keys(store, [key], clearance)
    kind = store.nodes([origin], clearance=clearance)[origin].kind

    def step(keys: set[str], only_pivots: bool) -> dict[str, list[Link]]:
        """The links of ``keys`` by key (from pivots only, when asked)."""
        found: dict[str, list[Link]] = defaultdict(list)
        if not keys:
            return found
        for link in store.links(sorted(keys), clearance=clearance, types=types):
            for here in (link.source, link.target):
                if here in keys and (not only_pivots or link.other_kind(here) in PIVOT_KINDS):
                    found[here].append(link)
        return found

    def pivot_kind(link: Link, here: str) -> bool:
        return link.other_kind(here) in PIVOT_KINDS

    # The origin's footprint.
    first = {link.other(origin) for link in step({origin}, False)[origin] if pivot_kind(link, origin)}
    second = {
        link.other(here)
        for here, links in step(first, True).items()
        for link in links
        if pivot_kind(link, here)
    }
    pivots = (first | second) - {origin}
    # Degrees of the pivots (counted by the store: a hub's links are not read), then the entities whose
    # footprint reaches them, walked back two hops.
    near = store.near(sorted(pivots), clearance=clearance, types=types, cap=0)
    degree = {p: near[p].degree for p in pivots}
    walked = {p for p in pivots if degree[p] <= WALK_CAP}
    around = step(walked, False)
    reach: dict[str, set[str]] = defaultdict(set)  # entity -> pivots in its footprint
    middle: dict[str, set[str]] = defaultdict(set)  # pivot-kind neighbour -> the pivots it touches
    kinds: dict[str, str] = {}
    for p in walked:
        for link in around.get(p, []):
            other = link.other(p)
            kinds[other] = link.other_kind(p)
            reach[other].add(p)
            if link.other_kind(p) in PIVOT_KINDS:
                middle[other].add(p)
    for here, links in step(set(middle), False).items():
        for link in links:
            other = link.other(here)
            kinds[other] = link.other_kind(here)
            reach[other] |= middle[here]
    candidates = {e: shared for e, shared in reach.items() if kinds.get(e) == kind and e != origin}
    candidates = {e: shared for e, shared in candidates.items() if e not in pivots}

    def weight(p: str) -> float:
        return 1 / math.log(1 + max(degree[p], 1))

    scored = sorted(
        ((sum(weight(p) for p in shared), e) for e, shared in candidates.items()),
        key=lambda item: (-item[0], item[1]),
    )[:limit]
    nodes = store.nodes([e for _, e in scored] + sorted(pivots), clearance=clearance)
    results: list[Ranked] = []
    for score, entity in scored:
        if entity not in nodes:
            continue
        shared = sorted(candidates[entity], key=lambda p: (-weight(p), p))
        names = [
            f"{nodes[p].name if p in nodes else p} ({counted(degree[p], 'neighbour')})" for p in shared[:5]
        ]
        more = f" and {len(shared) - 5} more" if len(shared) > 5 else ""
        results.append(
            Ranked(
                node=nodes[entity],
                score=round(score, 6),
                detail={"shared": len(shared), "pivots": [[p, degree[p]] for p in shared[:10]]},
                why=(
                    f"shares {counted(len(shared), 'pivot')}: {', '.join(names)}{more}; "
                    "each weighted 1/ln(1 + its degree), so widely shared hosts and wallets count less"
                ),
            )
        )
    return results
