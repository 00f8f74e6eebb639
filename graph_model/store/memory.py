"""What a loading connection knows its store holds, from its own reads and writes.

A load names the same entities batch after batch (every transaction names its two wallets again), and
writes edges that, in a store that was empty when it began, cannot exist yet. A store remembers, for the
length of one load, the entities it has read or written and the keys of the edges it has written, and
asks its server only about the rest - or about nothing at all while the memory is ``complete`` (the
store was empty when the load began, so whatever it holds was written by this load). The memory is only
valid while no one else writes: the store checks that before every batch and forgets otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable

from graph_model.entities import Node

NODE_LIMIT = 500_000  # entities remembered at most (about half a GiB); past it the memory starts afresh
EDGE_LIMIT = 2_000_000  # edge keys remembered at most (about 0.3 GiB)


class Memory:
    """Entities by key, every identifier they answer to, their element ids, and stored edge keys."""

    def __init__(self) -> None:
        self.complete = False
        # How the store's count of write transactions stood after the load's last batch (None before the
        # first): the store compares it with the count it finds, to tell whether someone else wrote.
        self.mark: tuple[str, int] | None = None
        self.nodes: dict[str, Node] = {}
        self.ids: dict[str, str] = {}
        self.elements: dict[str, str] = {}
        self.edges: set[str] = set()

    def forget(self) -> None:
        """Drop everything (another writer committed, or the memory is full); it is no longer complete."""
        self.complete = False
        self.nodes.clear()
        self.ids.clear()
        self.elements.clear()
        self.edges.clear()

    def resolve(self, ids: Iterable[str]) -> tuple[dict[str, str], list[str]]:
        """The identifiers remembered (mapped to their keys), and those the store must still be asked about:
        none when the memory is complete, since an entity it does not know does not exist."""
        found: dict[str, str] = {}
        unknown: list[str] = []
        remembered = self.ids
        for i in ids:
            key = remembered.get(i)
            if key is not None:
                found[i] = key
            elif not self.complete:
                unknown.append(i)
        return found, unknown

    def learn_nodes(self, nodes: Iterable[Node], claimed: bool) -> None:
        """Remember stored entities. ``claimed``: their extra ids were written with them (the first claimant
        keeps an id, so only a complete memory knows whether the writing entity got it)."""
        remembered, ids = self.nodes, self.ids
        for node in nodes:
            key = node.key
            remembered[key] = node
            ids[key] = key
            if claimed and self.complete:
                for i in node.ids:
                    ids.setdefault(i, key)
        if len(remembered) > NODE_LIMIT:
            self.forget()

    def learn_ids(self, found: dict[str, str]) -> None:
        """Remember what identifiers the store resolved (only for entities remembered in full)."""
        nodes = self.nodes
        self.ids.update((i, key) for i, key in found.items() if key in nodes)

    def learn_elements(self, elements: dict[str, str]) -> None:
        """Remember the element ids of entities (valid while they exist, i.e. while no one else writes)."""
        self.elements.update(elements)
        if len(self.elements) > NODE_LIMIT:
            self.forget()

    def learn_edges(self, keys: Iterable[str]) -> None:
        self.edges.update(keys)
        if len(self.edges) > EDGE_LIMIT:
            self.forget()
