"""Plain-language reasons for every pick: what it cuts, from what, and why it is hard to replace."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import networkx as nx

from queries.disruption.costs import hardness, node_cost
from queries.disruption.measures import FAST_FROM, Indexed, native_without
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
    final_label, final_size = _label_all(ix, ix.mask(order))
    dead = bytearray(len(ix))
    label, size = _label_all(ix, dead)
    value = obj.value(dead)
    targets: list[Target] = []
    for node in order:
        i = ix.index[node]
        attrs = graph.nodes[node]
        comp = size[label[i]] if label[i] >= 0 else 0
        alive_total = sum(size.values())
        dead[i] = 1
        label, size = _label_all(ix, dead)
        contacts = [w for w in ix.adj[i] if not dead[w]]
        piece_roots = {label[w] for w in contacts}
        pieces = sorted((size[r] for r in piece_roots), reverse=True)
        new_value = obj.value(dead)
        gain = new_value - value
        value = new_value
        name = str(attrs.get("name", node))
        kind = str(attrs.get("kind", "Actor"))
        label_text = f"{name} ({kind}{'/' + attrs['type'] if attrs.get('type') else ''})"
        parts = [f"{label_text}: {_cut_words(comp, pieces, alive_total)}"]
        separator = len(pieces) < 2 and len(order) > 1
        if separator:
            parts.append(_separator_words(ix, final_label, final_size, i))
        parts.append(f"{objective} +{gain:.3f} (now {value:.3f})")
        bridged = layers_bridged(graph, node)
        if len(bridged) > 1:
            parts.append(f"bridges the {', '.join(bridged)} layers")
        factor, reason = hardness(graph, node, sole_cashout)
        if reason:
            parts.append(("hard to replace: " if factor > 1 else "") + reason)
        elif contacts and not separator:
            parts.append(_replaceability(len(contacts), len(piece_roots)))
        cost = node_cost(node, attrs, costs)
        targets.append(
            Target(key=str(node), name=name, kind=kind, score=round(gain, 6), cost=cost, why="; ".join(parts))
        )
    return targets


def _label_all(ix: Indexed, dead: bytearray) -> tuple[list[int], dict[int, int]]:
    """Component label of every live node (-1 for dead ones) and each label's size."""
    label = [-1] * len(ix)
    size: dict[int, int] = {}
    if len(ix) >= FAST_FROM:
        import igraph

        live = [v for v in range(len(ix)) if not dead[v]]
        for v, c in zip(live, igraph.GraphBase.connected_components(native_without(ix, dead)), strict=True):
            label[v] = c
            size[c] = size.get(c, 0) + 1
        return label, size
    adj = ix.adj
    for start in range(len(ix)):
        if dead[start] or label[start] >= 0:
            continue
        label[start] = start
        stack = [start]
        count = 0
        while stack:
            v = stack.pop()
            count += 1
            for w in adj[v]:
                if not dead[w] and label[w] < 0:
                    label[w] = start
                    stack.append(w)
        size[start] = count
    return label, size


def _cut_words(comp: int, pieces: list[int], alive_total: int) -> str:
    if len(pieces) >= 2:
        more = "..." if len(pieces) > 4 else ""
        rest = f"{len(pieces) - 1} smaller part(s) of {', '.join(map(str, pieces[1:4]))}{more} node(s)"
        return f"splits its component of {comp} nodes into {pieces[0]} and {rest}"
    if not pieces:
        return "an isolated node, it cuts nothing"
    share = comp / max(1, alive_total)
    return (
        f"removes a node of a component of {comp} ({share:.0%} of the remaining network)"
        " without splitting it alone"
    )


def _separator_words(ix: Indexed, final_label: list[int], final_size: dict[int, int], i: int) -> str:
    """What the pick separates together with the rest of the plan (after every pick is removed)."""
    roots = {final_label[w] for w in ix.adj[i] if final_label[w] >= 0}
    if len(roots) < 2:
        return "its contacts stay connected once the whole plan is carried out"
    sizes = sorted((final_size[r] for r in roots), reverse=True)
    return (
        f"with the rest of the plan it forms a separator: its contacts end up in {len(roots)} parts "
        f"({', '.join(map(str, sizes[:4]))} nodes) that only it would rejoin"
    )


def _replaceability(contacts: int, groups: int) -> str:
    """Whether the node's contacts stay connected to each other without it (then it is replaceable)."""
    if contacts < 2:
        return f"{contacts} live contact(s) left"
    if groups == 1:
        return f"its {contacts} contacts stay connected without it (others can take over)"
    return f"its {contacts} contacts fall into {groups} groups with no other link: hard to replace"
