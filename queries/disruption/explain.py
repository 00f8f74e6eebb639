"""Plain-language reasons for every pick: what it cuts, from what, and why it is hard to replace."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import networkx as nx

from queries.disruption.costs import hardness, node_cost
from queries.disruption.measures import Indexed, component_sizes, single_removals
from queries.disruption.objectives import Objective
from queries.results import Target


def layers_bridged(graph: nx.Graph, node: Hashable) -> list[str]:
    """The layers (actor, infrastructure, money, forum ...) among ``node``'s neighbours and itself."""
    layers = {graph.nodes[m].get("layer", "actor") for m in graph.adj[node]}
    layers.add(graph.nodes[node].get("layer", "actor"))
    return sorted(layers)


def explain_targets(
    graph: nx.Graph,
    order: Sequence[Hashable],
    *,
    objective: str = "fragmentation",
    group: str | None = None,
    costs: Mapping[str, Any] | None = None,
    sole_cashout: Mapping[Hashable, int] | None = None,
) -> list[Target]:
    """Targets for ``order``: each scored by what it adds to the objective after the picks before it.

    Examples
    --------
    >>> g = nx.barbell_graph(3, 1)
    >>> [t.why.split(":")[0] for t in explain_targets(g, [3])]
    ['3 (Actor)']
    >>> explain_targets(g, [3])[0].score
    0.6
    """
    obj = Objective(graph, objective, group=group)
    ix: Indexed = obj.ix
    final = ix.mask(order)
    dead = bytearray(len(ix))
    value = obj.value(dead)
    targets: list[Target] = []
    picked: list[str] = []
    for node in order:
        i = ix.index[node]
        attrs = graph.nodes[node]
        single = single_removals(ix, dead)
        pieces = sorted(single.pieces[i], reverse=True)
        comp = single.comp[i]
        before_sizes = component_sizes(ix, dead)
        dead[i] = 1
        new_value = obj.value(dead)
        gain = new_value - value
        value = new_value
        name = str(attrs.get("name", node))
        kind = str(attrs.get("kind", "Actor"))
        label = f"{name} ({kind}{'/' + attrs['type'] if attrs.get('type') else ''})"
        parts = [f"{label}: {_cut_words(comp, pieces, before_sizes)}"]
        separator = len(pieces) < 2 and len(order) > 1
        if separator:
            parts.append(_separator_words(ix, final, i, [str(graph.nodes[v].get("name", v)) for v in order]))
        parts.append(f"{objective} +{gain:.3f} (now {value:.3f})")
        bridged = layers_bridged(graph, node)
        if len(bridged) > 1:
            parts.append(f"bridges the {', '.join(bridged)} layers")
        factor, reason = hardness(graph, node, sole_cashout)
        if reason:
            parts.append(("hard to replace: " if factor > 1 else "") + reason)
        elif graph.degree(node) > 0 and not separator:
            parts.append(_replaceability(graph, node, dead, ix))
        cost = node_cost(node, attrs, costs)
        targets.append(
            Target(key=str(node), name=name, kind=kind, score=round(gain, 6), cost=cost, why="; ".join(parts))
        )
        picked.append(name)
    return targets


def _cut_words(comp: int, pieces: list[int], sizes: list[int]) -> str:
    if len(pieces) >= 2:
        more = "..." if len(pieces) > 4 else ""
        rest = f"{len(pieces) - 1} smaller part(s) of {', '.join(map(str, pieces[1:4]))}{more} node(s)"
        return f"splits its component of {comp} nodes into {pieces[0]} and {rest}"
    if not pieces:
        return "an isolated node, it cuts nothing"
    share = comp / max(1, sum(sizes))
    return (
        f"removes a node of a component of {comp} ({share:.0%} of the remaining network)"
        " without splitting it alone"
    )


def _separator_words(ix: Indexed, final: bytearray, i: int, names: list[str]) -> str:
    """What the pick separates together with the rest of the plan (after every pick is removed)."""
    contacts = [w for w in ix.adj[i] if not final[w]]
    label = _labels(ix, final, contacts)
    groups: dict[int, int] = {}
    for c in contacts:
        groups[label[c]] = groups.get(label[c], 0) + 1
    if len(groups) < 2:
        return "its contacts stay connected once the whole plan is carried out"
    sizes = sorted((sum(1 for v in label.values() if v == root) for root in groups), reverse=True)
    return (
        f"with the rest of the plan it forms a separator: its contacts end up in {len(groups)} parts "
        f"({', '.join(map(str, sizes[:4]))} nodes) that only it would rejoin"
    )


def _replaceability(graph: nx.Graph, node: Hashable, dead: bytearray, ix: Indexed) -> str:
    """Whether the node's contacts stay connected to each other without it (then it is replaceable)."""
    contacts = [ix.index[m] for m in graph.adj[node] if not dead[ix.index[m]]]
    if len(contacts) < 2:
        return f"{len(contacts)} live contact(s) left"
    sizes_by_root: dict[int, int] = {}
    label = _labels(ix, dead, contacts)
    for c in contacts:
        sizes_by_root[label[c]] = sizes_by_root.get(label[c], 0) + 1
    groups = len(sizes_by_root)
    if groups == 1:
        return f"its {len(contacts)} contacts stay connected without it (others can take over)"
    return f"its {len(contacts)} contacts fall into {groups} groups with no other link: hard to replace"


def _labels(ix: Indexed, dead: bytearray, starts: list[int]) -> dict[int, int]:
    label: dict[int, int] = {}
    for start in starts:
        if start in label:
            continue
        label[start] = start
        stack = [start]
        while stack:
            v = stack.pop()
            for w in ix.adj[v]:
                if not dead[w] and w not in label:
                    label[w] = start
                    stack.append(w)
    return label
