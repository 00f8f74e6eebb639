"""Who links several entities together: their common associates, ranked by how many of them each links."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from graph_model.errors import InvalidArgument, LimitExceeded
from graph_model.provenance import TLP
from graph_model.store.base import GraphStore
from queries.results import Ranked
from queries.scope import check_edge_set, check_kinds, resolve_keys

MAX_KEYS = 20
MAX_LIMIT = 500


def common_associates(
    store: GraphStore,
    clearance: TLP,
    keys: Sequence[str],
    *,
    edge_set: str | None = None,
    kinds: Sequence[str] | None = None,
    limit: int | None = 50,
) -> list[Ranked]:
    """Entities directly linked (either direction) to at least two of ``keys``: those linked to all
    first, then by how many they link to, then by how many edges, then by key.

    ``score`` is the share of ``keys`` linked (1.0: all); ``detail`` is ``{"linked_to": n, "of":
    len(keys), "edges": m, "types": [...]}`` and ``why`` names the keys and edge types. Only visible
    entities and edges count.

    Parameters
    ----------
    keys : sequence of str
        Two to twenty node keys or identifiers (NotFound if one is missing or above clearance).
    edge_set : str, optional
        A named edge set of the schema (default: every edge type).
    kinds : sequence of str, optional
        Node kinds an associate may be.
    limit : int, optional
        Most results, 1-500 (None: all of them).

    Examples
    --------
    >>> from queries.sample import sample_store
    >>> found = common_associates(sample_store(), TLP.CLEAR, ["group:lockbit", "group:conti"])
    >>> [(r.node.name, r.detail["linked_to"], r.score) for r in found]
    [('wazawaka', 2, 1.0)]
    """
    unique = list(dict.fromkeys(keys))
    if len(unique) < 2:
        raise InvalidArgument("name at least two different entities")
    if len(unique) > MAX_KEYS:
        raise LimitExceeded(f"at most {MAX_KEYS} entities at once")
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise LimitExceeded(f"limit {limit} is outside 1-{MAX_LIMIT}")
    types = check_edge_set(store.model, edge_set)
    allowed = check_kinds(store.model, kinds)
    seeds = list(dict.fromkeys(resolve_keys(store, unique, clearance)))
    if len(seeds) < 2:
        raise InvalidArgument("the entities named are one and the same")
    linked: dict[str, set[str]] = defaultdict(set)
    edges: dict[str, int] = defaultdict(int)
    via: dict[str, set[str]] = defaultdict(set)
    seed_set = set(seeds)
    for link in store.links(seeds, clearance=clearance, types=types):
        for here in (link.source, link.target):
            other = link.other(here)
            if here not in seed_set or other in seed_set:
                continue
            if allowed is not None and link.other_kind(here) not in allowed:
                continue
            linked[other].add(here)
            edges[other] += 1
            via[other].add(link.type)
    common = [key for key, found in linked.items() if len(found) >= 2]
    common.sort(key=lambda key: (-len(linked[key]), -edges[key], key))
    chosen = common[:limit]
    nodes = store.nodes(chosen + seeds, clearance=clearance)
    names = {key: nodes[key].name for key in seeds if key in nodes}
    return [
        Ranked(
            node=nodes[key],
            score=len(linked[key]) / len(seeds),
            detail={
                "linked_to": len(linked[key]),
                "of": len(seeds),
                "edges": edges[key],
                "types": sorted(via[key]),
            },
            why=(
                f"linked to {len(linked[key])} of {len(seeds)} "
                f"({', '.join(names.get(k, k) for k in sorted(linked[key]))}) "
                f"by {', '.join(sorted(via[key]))}"
            ),
        )
        for key in chosen
        if key in nodes
    ]
