"""What a caller with a given clearance sees of a stored node or edge.

Markings belong to each source's statement, not to the object: a stored node or edge keeps what the
sources at each TLP level contributed (``Node.levels``/``Edge.levels``, or the object itself when all
its sources share one level). A caller sees it when at least one level is within clearance, and sees
the merge of exactly those levels - their name, properties, sources, dates, confidence and ids, with
``prov.tlp`` the highest level among them - and each property credited to the sources among those that
stated it (``Node.stated``): nothing above clearance is shown, nor credited to a source within it.
"""

from __future__ import annotations

from typing import Any

from graph_model.entities import NAME, Edge, Marks, Node, layered_edge, layered_node
from graph_model.provenance import TLP, Provenance


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
        node.key,
        node.kind,
        seen.type,
        seen.name,
        seen.prov,
        seen.props,
        seen.ids,
        stated=seen.stated,
        marked=_marks(visible, seen, layered_node) if len(visible) > 1 else None,
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
    return Edge(
        edge.type,
        edge.source,
        edge.target,
        seen.prov,
        seen.props,
        edge.discriminator,
        stated=seen.stated,
        marked=_marks(visible, seen, layered_edge) if len(visible) > 1 else None,
    )


# Provenance fields a reader is shown, each marked at the level of the statements that give its value.
_PROV_FIELDS = ("first_seen", "last_seen", "confidence", "created", "modified", "date_added")


def _fields(item: Node | Edge) -> dict[str, Any]:
    """What a reader sees of ``item`` field by field: its name (nodes), properties, sources and dates."""
    prov: Provenance = item.prov
    found: dict[str, Any] = {name: getattr(prov, name) for name in _PROV_FIELDS}
    found["sources"] = sorted(prov.sources)
    if isinstance(item, Node):
        found[NAME] = item.name
    found.update(item.props)
    return {name: value for name, value in found.items() if value is not None}


def _marks(visible: dict[TLP, Any], seen: Any, layered: Any) -> Marks:
    """Which of what ``seen`` (the merge of the ``visible`` levels) shows comes only from statements above
    its lowest level: each such field (or list element, by its text) with the lowest level whose sources
    give that value, and ``tlp`` the lowest level (what an export marks the whole object with; see
    docs/sharing.md, granular markings)."""
    order = sorted(visible)
    below = [
        (level, _fields(layered({k: v for k, v in visible.items() if k <= level}))) for level in order[:-1]
    ]
    marks: Marks = {"tlp": order[0]}
    for name, value in _fields(seen).items():
        if isinstance(value, list):
            elements: dict[str, TLP] = {}
            for element in value:
                level = next((lv for lv, f in below if element in (f.get(name) or ())), order[-1])
                if level > order[0]:
                    elements[str(element)] = level
            if elements:
                marks[name] = elements
        else:
            level = next((lv for lv, f in below if f.get(name) == value), order[-1])
            if level > order[0]:
                marks[name] = level
    return marks
