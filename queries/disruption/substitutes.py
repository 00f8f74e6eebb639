"""Measured substitutability: could another node take over a target's links?

For a target ``v`` the action table (:mod:`queries.disruption.actions`) says what counts as alike (same
kind, type, role) and how far to look (``within`` steps). The measure: the other live nodes alike within
that distance (``count``), and the largest number of ``v``'s live contacts any one of them is already
linked to (``best``). A target is *hard to replace* when no alike node is near (``count == 0``) or none is
linked to more than half of its contacts; otherwise *replaceable*. Whys quote these figures.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable
from typing import Any

import networkx as nx

from queries.disruption.actions import ActionTable, entry_of

MAX_VISITED = 50_000  # nodes a neighbourhood search may visit (hubs of large graphs)


def substitutability(
    graph: nx.Graph, node: Hashable, removed: Collection[Hashable] = (), table: ActionTable | None = None
) -> dict[str, Any] | None:
    """The measured substitutability of ``node`` once ``removed`` are gone (None without live contacts).

    Keys: ``id`` (``substitutes.none`` / ``few`` / ``many``, the message that says it), ``count``,
    ``best``, ``contacts``, ``within``, ``like`` and ``likes`` (what counts as alike, in words), ``hard``.

    Examples
    --------
    >>> g = nx.Graph([("hub", "a"), ("hub", "b"), ("alt", "a"), ("alt", "b")])
    >>> nx.set_node_attributes(g, "Actor", "kind")
    >>> s = substitutability(g, "hub")
    >>> s["id"], s["count"], s["best"], s["contacts"]
    ('substitutes.many', 3, 2, 2)
    >>> substitutability(nx.path_graph(3), 1, removed=[0, 2]) is None
    True
    """
    gone = set(removed)
    contacts = [m for m in graph.adj[node] if m not in gone and m != node]
    if not contacts:
        return None
    rule = entry_of(graph, node, table).substitutes
    attrs = graph.nodes[node]
    seen = {node}
    frontier = [node]
    for _ in range(rule.within):
        nxt = []
        for v in frontier:
            for w in graph.adj[v]:
                if w not in seen and w not in gone:
                    seen.add(w)
                    nxt.append(w)
        frontier = nxt
        if len(seen) > MAX_VISITED:
            break
    roles = set(attrs.get("roles") or ())
    alike = [w for w in seen if w != node and _alike(attrs, graph.nodes[w], rule.same, roles)]
    best = _most_shared(graph, alike, contacts)
    like, likes = _words(attrs, rule.same, roles)
    hard = not alike or 2 * best <= len(contacts)
    message = "substitutes.none" if not alike else "substitutes.few" if hard else "substitutes.many"
    return {
        "id": message,
        "count": len(alike),
        "best": best,
        "contacts": len(contacts),
        "within": rule.within,
        "like": like,
        "likes": likes,
        "hard": hard,
    }


def _most_shared(graph: nx.Graph, alike: list[Hashable], contacts: list[Hashable]) -> int:
    """The most of ``contacts`` any one ``alike`` node is linked to, counted from whichever side has
    the fewer links to walk (a hub's alike nodes may be hubs too)."""
    if not alike:
        return 0
    adj = graph.adj
    if sum(len(adj[w]) for w in alike) <= sum(len(adj[c]) for c in contacts):
        contact_set = set(contacts)
        return max(sum(1 for m in adj[w] if m in contact_set) for w in alike)
    alike_set = set(alike)
    shared: dict[Hashable, int] = {}
    for c in contacts:
        for w in adj[c]:
            if w in alike_set:
                shared[w] = shared.get(w, 0) + 1
    return max(shared.values(), default=0)


def _alike(attrs: dict[str, Any], other: dict[str, Any], same: tuple[str, ...], roles: set[str]) -> bool:
    if "kind" in same and other.get("kind") != attrs.get("kind"):
        return False
    if "type" in same and (other.get("type") or "") != (attrs.get("type") or ""):
        return False
    return not ("role" in same and roles and not roles & set(other.get("roles") or ()))


def _words(attrs: dict[str, Any], same: tuple[str, ...], roles: set[str]) -> tuple[str, str]:
    noun = str(attrs.get("type") or "") if "type" in same and attrs.get("type") else ""
    noun = noun or str(attrs.get("kind") or "node").lower()
    plural = noun + ("es" if noun.endswith(("s", "x", "sh", "ch")) else "s")
    if "role" in same and roles:
        tail = f" with the role {' or '.join(sorted(roles))}"
        return noun + tail, plural + tail
    return noun, plural
