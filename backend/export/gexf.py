"""GEXF 1.3 for Gephi: one edge per stored edge, its type as Gephi's edge kind, time as spells.

- Every stored edge is one ``<edge>`` whose ``id`` is crimegraph's edge key; its type is the GEXF
  ``kind`` (Gephi's own edge type, so the default import merges only parallel edges *of the same type*),
  the ``label`` and the ``edge_type`` attribute.
- Node kind and TLP, confidence, sources and every schema property are typed attributes
  (:mod:`backend.export.typed`); a value a node or edge does not have is absent, not defaulted.
- First/last seen are the element's spell (``<spell start end>``, ``timeformat="datetime"``), so Gephi's
  timeline works; they are kept as ``first_seen``/``last_seen`` text attributes as well.
- Nodes carry their kind's colour from the schema (``viz:color``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

import networkx as nx

from backend.export.typed import typed_graph
from graph_model.model import Model

NS = "http://gexf.net/1.3"
VIZ = "http://gexf.net/1.3/viz"
SCHEMA = "http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
# Set as XML attributes of <node>/<edge> or as spells, not as GEXF attributes.
_NOT_ATTRIBUTES = frozenset({"label", "viz"})
# Attribute names Gephi's tables keep for themselves (id, label, weight, interval): a property of that
# name is written with a ``_property`` suffix (``weight`` of a rating becomes ``weight_property``).
_RESERVED = frozenset({"id", "label", "weight", "interval", "timeset"})


_QUOTES = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
DESCRIPTION = (
    "Edges keep crimegraph's edge keys as ids and their type as kind; import with "
    '"Don\'t merge" to keep every parallel edge, or with the default to merge those of one type.'
)


def _gexf_type(values: list[Any]) -> str:
    if all(isinstance(v, bool) for v in values):
        return "boolean"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "long"
    if all(isinstance(v, float) for v in values):
        return "double"
    return "string"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _column(name: str) -> str:
    return f"{name}_property" if name in _RESERVED else name


def _attr(value: str) -> str:
    return escape(value, _QUOTES)


def _declare(out: list[str], kind: str, rows: list[Mapping[str, Any]]) -> dict[str, str]:
    """Write the ``<attributes>`` of one class; each attribute name's id (its column in Gephi)."""
    found: dict[str, list[Any]] = {}
    for row in rows:
        for name, value in row.items():
            if name not in _NOT_ATTRIBUTES:
                found.setdefault(name, []).append(value)
    out.append(f'  <attributes class="{kind}" mode="static">')
    ids: dict[str, str] = {}
    for name in sorted(found):
        column = _attr(_column(name))
        out.append(f'   <attribute id="{column}" title="{column}" type="{_gexf_type(found[name])}"/>')
        ids[name] = column
    out.append("  </attributes>")
    return ids


def _inside(out: list[str], row: Mapping[str, Any], ids: Mapping[str, str]) -> None:
    """An element's attribute values and its spell (first/last seen)."""
    values = sorted((ids[name], value) for name, value in row.items() if name in ids)
    if values:
        out.append("    <attvalues>")
        out.extend(f'     <attvalue for="{c}" value="{_attr(_text(v))}"/>' for c, v in values)
        out.append("    </attvalues>")
    start, end = row.get("first_seen"), row.get("last_seen")
    if start and end and str(end) < str(start):
        start, end = end, start
    bounds = "".join(
        f' {name}="{_attr(str(value))}"' for name, value in (("start", start), ("end", end)) if value
    )
    if bounds:
        out.append(f"    <spells><spell{bounds}/></spells>")


def dumps(graph: nx.MultiDiGraph, model: Model, *, weight: str | None = None) -> bytes:
    """The graph as GEXF 1.3 (UTF-8); edge ids are crimegraph's edge keys, edge kinds their types.

    ``weight`` names a numeric edge attribute to give as the GEXF weight where an edge has it (the
    ``count`` of aggregated transfers); other edges keep Gephi's default weight of 1.
    """
    typed = typed_graph(graph, model, colours=True)
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    out = [
        "<?xml version='1.0' encoding='utf-8'?>",
        f'<gexf xmlns="{NS}" xmlns:viz="{VIZ}" xmlns:xsi="{XSI}" version="1.3" '
        f'xsi:schemaLocation="{SCHEMA}">',
        f' <meta lastmodifieddate="{today}">',
        "  <creator>crimegraph</creator>",
        f"  <description>{escape(DESCRIPTION)}</description>",
        " </meta>",
        ' <graph defaultedgetype="directed" mode="dynamic" timeformat="datetime" '
        'timerepresentation="interval">',
    ]
    node_ids = _declare(out, "node", [data for _, data in typed.nodes(data=True)])
    edge_ids = _declare(out, "edge", [data for _, _, data in typed.edges(data=True)])
    out.append("  <nodes>")
    for key, data in typed.nodes(data=True):
        out.append(f'   <node id="{_attr(str(key))}" label="{_attr(str(data.get("label", key)))}">')
        _inside(out, data, node_ids)
        colour = data.get("viz", {}).get("color")
        if colour:
            rgba = " ".join(f'{c}="{_text(colour[c])}"' for c in ("r", "g", "b", "a"))
            out.append(f"    <viz:color {rgba}/>")
        out.append("   </node>")
    out.append("  </nodes>")
    out.append("  <edges>")
    for source, target, key, data in typed.edges(keys=True, data=True):
        kind = _attr(str(data["edge_type"]))
        extra = ""
        if weight is not None and isinstance(data.get(weight), int | float):
            extra = f' weight="{_text(float(data[weight]))}"'
        out.append(
            f'   <edge id="{_attr(str(key))}" source="{_attr(str(source))}" target="{_attr(str(target))}" '
            f'kind="{kind}" label="{_attr(str(data["label"]))}"{extra}>'
        )
        _inside(out, data, edge_ids)
        out.append("   </edge>")
    out.append("  </edges>")
    out.append(" </graph>")
    out.append("</gexf>")
    return ("\n".join(out) + "\n").encode("utf-8")
