"""What a caller with a given clearance sees of a stored node or edge.

Markings belong to each source's statement, not to the object: a stored node or edge keeps what the
sources at each TLP level contributed (``Node.levels``/``Edge.levels``, or the object itself when all
its sources share one level). A caller sees it when at least one level is within clearance, and sees
the merge of exactly those levels - their name, properties, sources, dates, confidence and ids, with
``prov.tlp`` the highest level among them - and each property credited to the sources among those that
stated it (``Node.stated``): nothing above clearance is shown, nor credited to a source within it.
"""

from __future__ import annotations

from graph_model.entities import Edge, Node, layered_edge, layered_node
from graph_model.provenance import TLP


def floor(item: Node | Edge) -> TLP:
    """The lowest clearance that sees ``item`` at all (what stores filter on)."""
    return item.prov.tlp if item.levels is None else min(item.levels)


def node_view(node: Node, clearance: TLP) -> Node | None:
    """The node as a caller with ``clearance`` sees it, or None when no source of it is within clearance."""
    levels = node.levels
    if levels is None:
        return node if node.prov.tlp <= clearance else None
    visible = {level: part for level, part in levels.items() if level <= clearance}
    if not visible:
        return None
    seen = node if len(visible) == len(levels) else layered_node(visible)
    return Node(
        node.key, node.kind, seen.type, seen.name, seen.prov, seen.props, seen.ids, stated=seen.stated
    )


def edge_view(edge: Edge, clearance: TLP) -> Edge | None:
    """The edge as a caller with ``clearance`` sees it (as :func:`node_view`)."""
    levels = edge.levels
    if levels is None:
        return edge if edge.prov.tlp <= clearance else None
    visible = {level: part for level, part in levels.items() if level <= clearance}
    if not visible:
        return None
    seen = edge if len(visible) == len(levels) else layered_edge(visible)
    return Edge(edge.type, edge.source, edge.target, seen.prov, seen.props, edge.discriminator)
