"""Why each pick: what it cuts, from what, with which other picks, and whether it can be replaced.

Every target gets a :class:`~queries.disruption.words.Message` (``why_message``) and its English text
(``why``), with numbers and their scale: the size of the connected part it was in, the parts it splits it
into, the connected pairs it cuts as a share of those before the plan, the money holders it cuts off a
cash-out service of those that could reach one; picks that only cut together with others name them; "hard
to replace" / "replaceable" only with the measured figure (:mod:`queries.disruption.substitutes`).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import networkx as nx

from queries.disruption.actions import entry_of
from queries.disruption.costs import cost_of
from queries.disruption.measures import FAST_FROM, Indexed, component_labels, pairs
from queries.disruption.objectives import Objective
from queries.disruption.substitutes import substitutability
from queries.disruption.words import say
from queries.results import Target

SHOWN_PARTS = 4  # part sizes named in a why


def layers_bridged(graph: nx.Graph, node: Hashable) -> list[str]:
    """The layers (actor, infrastructure, money, forum ...) among ``node``'s neighbours and itself."""
    layers = {graph.nodes[m].get("layer", "actor") for m in graph.adj[node]}
    layers.add(graph.nodes[node].get("layer", "actor"))
    return sorted(layers)


def label_of(attrs: Mapping[str, Any]) -> str:
    """``Kind/type`` (or the kind alone) of a node."""
    kind = str(attrs.get("kind") or "Actor")
    return f"{kind}/{attrs['type']}" if attrs.get("type") else kind


def explain_targets(
    graph: nx.Graph,
    order: Sequence[Hashable],
    *,
    objective: str = "fragmentation",
    group: str | None = None,
    costs: Mapping[str, Any] | None = None,
    sole_cashout: Mapping[Hashable, int] | None = None,
) -> list[Target]:
    """Targets for ``order``: each with its gain on the objective given the picks before it, its cost,
    the action table's requests, its measured substitutability and why, in words and as data.

    Examples
    --------
    >>> g = nx.barbell_graph(3, 1)
    >>> t = explain_targets(g, [3])[0]
    >>> t.why_message["id"], t.score
    ('why.split', 0.714286)
    >>> print(t.why)  # doctest: +NORMALIZE_WHITESPACE
    3 (Actor) splits its connected part of 7 entities into 2 parts (3 and 3 entities); this cuts 15
    connected pairs, 71% of the 21 before the plan. Hard to replace: none of the 6 other nodes within 2
    steps is linked to more than 1 of its 2 contacts.
    """
    obj = Objective(graph, objective, group=group)
    ix: Indexed = obj.ix
    picks = [ix.index[node] for node in order]
    final_label, final_size = _label_all(ix, ix.mask(order))
    rank_of = {v: r for r, v in enumerate(picks, start=1)}
    final_roots = {v: {final_label[w] for w in ix.adj[v] if final_label[w] >= 0} for v in picks}
    dead = bytearray(len(ix))
    label, size = _label_all(ix, dead)
    pairs_before = pairs(size.values())
    value = obj.value(dead)
    holders_before = obj.cashout_reached(dead) if objective == "cashout" else 0
    reach_before = obj.reach_count(dead) if objective == "reach" else 0
    holders, reach = holders_before, reach_before
    cut_by: dict[int, int] = {}
    gone = set(order)
    pending: list[tuple[int, Hashable, Mapping[str, Any], float, str, dict[str, Any]]] = []
    for rank, node in enumerate(order, start=1):
        i = ix.index[node]
        attrs = graph.nodes[node]
        comp = size[label[i]] if label[i] >= 0 else 0
        pairs_then = pairs(size.values())
        dead[i] = 1
        label, size = _label_all(ix, dead)
        contacts = [w for w in ix.adj[i] if not dead[w]]
        pieces = sorted((size[r] for r in {label[w] for w in contacts}), reverse=True)
        new_value = obj.value(dead)
        gain = new_value - value
        value = new_value
        values: dict[str, Any] = {
            "name": str(attrs.get("name", node)),
            "label": label_of(attrs),
            "component": comp,
            "pairs_cut": pairs_then - pairs(size.values()),
            "pairs_before": pairs_before,
            "pairs_cut_share": (pairs_then - pairs(size.values())) / pairs_before if pairs_before else 0.0,
        }
        layers = layers_bridged(graph, node)
        values["layers"] = layers if len(layers) > 1 else []
        subst = substitutability(graph, node, gone - {node})
        values.update(_substitute_values(subst))
        if objective == "cashout":
            now = obj.cashout_reached(dead)
            cut_by[i] = holders - now
            holders = now
            message = "why.cashout"
            values.update(holders=cut_by[i], holders_before=holders_before)
            values["holders_share"] = cut_by[i] / holders_before if holders_before else 0.0
        elif objective == "reach":
            now = obj.reach_count(dead)
            cut_by[i] = reach - now
            reach = now
            message = "why.reach"
            values.update(group=str(group), lost=cut_by[i], reach_before=reach_before)
            values["lost_share"] = cut_by[i] / reach_before if reach_before else 0.0
        elif not contacts and comp <= 1:
            message = "why.isolated"
        elif len(pieces) >= 2:
            message = "why.split"
            values.update(parts=pieces[:SHOWN_PARTS], parts_count=len(pieces))
        elif len(final_roots[i]) >= 2 and len(order) > 1:
            message = "why.joint"
            partners = _partners(i, picks, final_roots)
            final = sorted((final_size[r] for r in final_roots[i]), reverse=True)
            values.update(
                partners=[str(graph.nodes[ix.nodes[p]].get("name", ix.nodes[p])) for p in partners],
                partner_ranks=[rank_of[p] for p in partners],
                pieces=final[:SHOWN_PARTS],
                pieces_count=len(final),
            )
        else:
            message = "why.shrink"
            values["live_contacts"] = len(contacts)
        pending.append((rank, node, attrs, gain, message, values))
    return [_target(graph, item, picks, cut_by, rank_of, costs) for item in pending]


def _target(
    graph: nx.Graph,
    item: tuple[int, Hashable, Mapping[str, Any], float, str, dict[str, Any]],
    picks: list[int],
    cut_by: dict[int, int],
    rank_of: dict[int, int],
    costs: Mapping[str, Any] | None,
) -> Target:
    rank, node, attrs, gain, message, values = item
    if message in ("why.cashout", "why.reach") and "partners" not in values:
        # A pick that cuts nothing alone acts with the later picks that complete the cut. With none (it
        # cuts nothing and no later pick cuts anything) the plan cuts as much without it: the picks before
        # it reach the whole plan's cut, and removing more never restores a route. No partners then.
        ix = Indexed.cached(graph)
        later = [p for p in picks if rank_of[p] > rank and cut_by.get(p, 0) > 0][:3]
        values["partners"] = [str(graph.nodes[ix.nodes[p]].get("name", ix.nodes[p])) for p in later]
        values["partner_ranks"] = [rank_of[p] for p in later]
    words = say(message, **values)
    entry = entry_of(graph, node)
    subst = None
    if values.get("substitutes_id"):
        subst = {k: values[k] for k in ("count", "best", "contacts", "within", "like")}
        subst["hard"] = values["substitutes_id"] != "substitutes.many"
    return Target(
        key=str(node),
        name=str(attrs.get("name", node)),
        kind=str(attrs.get("kind", "Actor")),
        score=round(gain, 6),
        cost=cost_of(graph, node, costs),
        why=words.text,
        type=str(attrs.get("type") or "") or None,
        rank=rank,
        gain=gain,
        why_message=words.as_dict(),
        actions=[a.as_dict() for a in entry.actions],
        substitutes=subst,
    )


def _substitute_values(found: dict[str, Any] | None) -> dict[str, Any]:
    if found is None:
        return {"substitutes_id": None}
    return {
        "substitutes_id": found["id"],
        "count": found["count"],
        "best": found["best"],
        "contacts": found["contacts"],
        "within": found["within"],
        "like": found["like"],
        "likes": found["likes"],
    }


def _partners(i: int, picks: list[int], roots: dict[int, set[int]]) -> list[int]:
    """The other picks that bound the same final parts as pick ``i`` (sharing two, else one)."""
    others = [p for p in picks if p != i]
    for shared in (2, 1):
        found = [p for p in others if len(roots[p] & roots[i]) >= shared]
        if found:
            return found[:3]
    return others[:3]


def _label_all(ix: Indexed, dead: bytearray) -> tuple[list[int], dict[int, int]]:
    """Component label of every live node (-1 for dead ones) and each label's size."""
    label = [-1] * len(ix)
    size: dict[int, int] = {}
    if len(ix) >= FAST_FROM:
        label = component_labels(ix, dead)
        for c in label:
            if c >= 0:
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
