"""Query results -> a pyvis network -> one self-contained HTML page (see :mod:`backend.views.page`).

A :class:`View` is what to draw: a networkx graph in the attributes :func:`queries.scope.scope_graph` gives,
the keys to highlight, and what the query left out. :func:`render` shapes it for reading (hubs collapsed,
aggregated above the node cap, layout precomputed), styles it from the schema and writes the page.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from pyvis.network import Network as PyvisNetwork

from backend.views import transfers
from backend.views.page import Page, page
from backend.views.shaping import AGGREGATE, GROUP, MORE, aggregate, collapse_hubs, more_key, positions
from backend.views.transfers import merge_transfers
from graph_model.heap import collection_paused
from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store.base import PROVENANCE_ATTRIBUTES
from graph_model.words import counted, plural

PROVENANCE = (
    "first_seen",
    "last_seen",
    "created",
    "modified",
    "date_added",
    "confidence",
    "tlp",
    "sources",
)
# Attributes every node carries that the tooltip shows in its own rows (not as properties).
_NODE_FIXED = frozenset({"kind", "type", "name", "score", *PROVENANCE, *PROVENANCE_ATTRIBUTES})
_EDGE_FIXED = frozenset({"type", *PROVENANCE, *PROVENANCE_ATTRIBUTES})
# Edge properties that say how much flowed or how strong a tie is, in order of preference.
EDGE_WEIGHTS = ("amount_usd", "amount", "weight", "count")
RECOVERY = "RECOVERY"  # the edge type of a link recovery could form (plan views)
EVIDENCE = "__evidence__"  # the kind of a shared value drawn as a marker (a pair's contact or product)
SHARES = "SHARES"  # the edge type from a handle to a shared value it gives (pair views)
EVIDENCE_COLOR = "#8e24aa"  # the border of shared evidence (pair views; no schema kind is purple)
UNCOUNTED = "too common to count"  # a SHARES edge's ``evidence`` when the value it leads to does not count
UNCOUNTED_COLOR = "#b0b0b0"  # its line: neutral grey, dashed
HIGHLIGHT = "#d62728"
MORE_COLOR = "#c7c7c7"
RECOVERY_COLOR = "#2ca02c"
LABEL_MAX = 40
VALUE_MAX = 160
MAX_SOURCES = 6
MAX_PROPS = 10
MAX_ALIASES = 20  # aliases a node carries for the page's search
EDGE_COLOR = "#9a9a9a"
EDGE_SELECTED = "#333333"  # an edge selected or hovered
ADDRESS = re.compile(r"[A-Za-z0-9]{23,}")  # a wallet address or a hash: shortened in the middle in labels
ARROWS_MAX = 1000  # above this many edges arrowheads are left out: unreadable there, and twice the drawing


@dataclass(frozen=True, slots=True)
class ViewOptions:
    """How to shape a view: ``node_cap`` above which it aggregates (by community or kind), ``hub_cap``
    leaf neighbours shown per hub, ``physics_max`` nodes up to which vis-network's physics runs (above it
    the precomputed layout is final)."""

    node_cap: int = 500
    hub_cap: int = 50
    aggregate_by: str = "community"
    physics_max: int = 150
    seed: int = 0


@dataclass(slots=True)
class View:
    """One view to draw. ``focus`` keys are highlighted and never aggregated or collapsed away;
    ``collapsed`` (hub -> hidden neighbours) and ``truncated`` come from the query; ``states`` name sets
    of node and edge keys hidden in each state (a plan's before / after / recovery)."""

    kind: str
    title: str
    graph: nx.MultiDiGraph
    focus: list[str] = field(default_factory=list)
    collapsed: dict[str, int] = field(default_factory=dict)
    truncated: bool = False
    notes: list[str] = field(default_factory=list)
    measures: dict[str, Any] | None = None
    states: dict[str, tuple[set[str], set[str]]] | None = None  # state -> (node keys, edge types) hidden
    state_labels: dict[str, str] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)
    badges: dict[str, str] = field(default_factory=dict)  # text put before a node's label
    clearance: TLP = TLP.RED  # the clearance it was read at (shown in the page's marking banner)
    data_version: int | None = None  # the store's data version it was read at (saved investigations cite it)
    evidence: dict[str, str] = field(default_factory=dict)  # node key -> why it is evidence (plain words)
    identity: dict[str, Any] | None = None  # a candidate pair (a, b, status, score): confirm / reject


def render(
    view: View, model: Model, options: ViewOptions | None = None, *, api: Mapping[str, Any] | None = None
) -> Page:
    """The HTML page of ``view``: styled from ``model``, shaped by ``options``. ``api`` (served pages
    only): where the page's script reaches the GraphQL API to expand, search and reopen."""
    with collection_paused():
        data = view_data(view, model, options or ViewOptions())
        if api is not None:
            data["api"] = dict(api)
        return page(view.title, data)


def highest_tlp(graph: nx.MultiDiGraph) -> TLP:
    """The most restrictive marking among a graph's nodes and edges (CLEAR for an empty graph)."""
    found = TLP.CLEAR
    levels = {level for _, level in graph.nodes(data="tlp")}
    levels |= {level for *_, level in graph.edges(data="tlp")}
    for level in levels:
        if level:
            found = max(found, _level(level))
    return found


def _level(value: Any) -> TLP:
    """A marking; one that is not a TLP level counts as the most restrictive."""
    try:
        return TLP.parse(value)
    except ValueError:
        return TLP.RED


def view_data(view: View, model: Model, options: ViewOptions) -> dict[str, Any]:
    """The JSON the page's script draws: vis nodes/edges (built with pyvis), options, legend, notes,
    the marking (clearance, highest TLP drawn), the schema's styles and, for aggregates, their members."""
    graph = view.graph.copy()
    tlp = highest_tlp(graph)
    notes = list(view.notes)
    merged = merge_transfers(graph)
    if merged:
        notes.append(
            f"Transfers between the same two wallets are drawn as one edge ({merged:,} fewer edges): "
            "click one to list its transfers."
        )
    if view.truncated:
        notes.append("The result was cut short by its limit: more is linked than is shown.")
    keep = set(view.focus)
    if view.states:
        keep |= {n for hidden_nodes, _ in view.states.values() for n in hidden_nodes}
    collapsed = collapse_hubs(graph, options.hub_cap, keep=keep, hidden=view.collapsed)
    if collapsed:
        hidden = sum(collapsed.values())
        notes.append(
            f"{counted(hidden, 'neighbour')} of {counted(len(collapsed), 'hub')} "
            f"{plural(hidden, 'is', 'are')} collapsed into "
            '"+N more" markers.'
        )
    aggregated = False
    recovery = [(u, v, k, a) for u, v, k, a in graph.edges(keys=True, data=True) if a.get("type") == RECOVERY]
    graph.remove_edges_from([(u, v, k) for u, v, k, _ in recovery])
    members: dict[str, list[dict[str, Any]]] = {}
    member_links: list[list[Any]] = []
    if graph.number_of_nodes() > options.node_cap:
        agg = aggregate(graph, by=options.aggregate_by, cap=options.node_cap, keep=sorted(keep))
        notes.append(
            f"{counted(agg.original_nodes, 'node')} and {counted(agg.original_edges, 'edge')} are more than "
            f"{options.node_cap:,}: shown aggregated by {agg.by} "
            f"({counted(agg.graph.number_of_nodes(), 'group')}). Double-click a group to open it, or "
            "narrow the request (depth, kinds, edge set, a community)."
        )
        ties = simple_degree(graph)
        members, member_links = _members(graph, agg.group_of, model, view.scores, ties)
        _label_groups(agg.graph, graph, view.scores, ties)
        graph = agg.graph
        aggregated = True
        recovery = _regroup(recovery, agg.group_of)
    for u, v, k, attrs in recovery:
        graph.add_edge(u, v, key=k, **attrs)
    physics = graph.number_of_nodes() <= options.physics_max
    edge_count = graph.number_of_edges()  # a multigraph counts by walking every edge: once
    # longer springs where lines carry labels: money transfers, and a pair's few links (a handle's large
    # name would otherwise sit on the small "owns"/"shares" labels of its lines)
    labelled = edge_count <= 150 and (
        view.kind == "identity" or any("transfer_rows" in a for *_, a in graph.edges(data=True))
    )
    layout = positions(graph, seed=options.seed, spread=160.0 if aggregated or labelled else 90.0)
    net = PyvisNetwork(directed=True)
    net.options = vis_options(graph, physics, labelled=labelled, edges=edge_count)
    degree = undirected_degree(graph)
    focus = set(view.focus)
    # Size by score where every entity has one, else by degree (one scale per view).
    scored = bool(view.scores) and all(k in view.scores for k, a in graph.nodes(data="kind") if a != MORE)
    sizes = {key: _size(key, attrs, view.scores, degree, scored) for key, attrs in graph.nodes(data=True)}
    floor = max(sizes.values(), default=0.0)  # what the view is about is drawn as big as the biggest
    legend_kinds: dict[str, int] = {}
    for key, attrs in sorted(graph.nodes(data=True), key=lambda item: str(item[0])):
        kind = str(attrs.get("kind", ""))
        spec = _style(model, kind, attrs)
        legend_kinds[spec[2]] = legend_kinds.get(spec[2], 0) + 1
        x, y = layout[key]
        node_options = vis_node(model, key, attrs, view.scores.get(key))
        node_options.update(
            label=view.badges.get(key, "") + str(node_options["label"]),
            value=max(sizes[key], floor if key in focus else 0.0) + 1.0,
            x=x,
            y=y,
        )
        if key in view.evidence:
            node_options.update(borderWidth=5, color={"background": spec[0], "border": EVIDENCE_COLOR})
            node_options["cgEvidence"] = view.evidence[key]
            node_options["tip"] = [["shared evidence", view.evidence[key]], *node_options["tip"]]
        if key in focus:
            node_options.update(borderWidth=4, color={"background": spec[0], "border": HIGHLIGHT})
            node_options["font"] = {"size": 16, "strokeWidth": 3, "strokeColor": "#ffffff"}
            node_options["cgFocus"] = True
        net.add_node(str(key), **node_options)
    edge_ids: dict[str, str] = {}
    edge_labels = edge_count <= 40
    transfer_labels = edge_count <= 150
    for u, v, key, attrs in sorted(graph.edges(keys=True, data=True), key=_edge_order):
        edge_options = vis_edge(model, str(key), attrs, label=edge_labels, transfer_label=transfer_labels)
        edge_ids[str(key)] = str(edge_options["id"])
        # As pyvis' add_edge (directed: "to" arrows unless set), without its check of both ends against
        # a list of every node id (9,449 edges x 1,000 nodes was a fifth of the page's time).
        # Arrowheads come from the view's options (left out above ARROWS_MAX edges), not per edge.
        edge_options["from"], edge_options["to"] = str(u), str(v)
        net.edges.append(edge_options)
    nodes, edges, _heading, _height, _width, options_json = net.get_network_data()
    vis = _json_loads(options_json)
    data: dict[str, Any] = {
        "kind": view.kind,
        "title": view.title,
        "nodes": nodes,
        "edges": edges,
        "options": vis,
        "scale": {
            "nodes": presize(nodes, vis["nodes"]["scaling"], "size"),
            "edges": presize(edges, vis["edges"]["scaling"], "width"),
        },
        "physics": physics,
        "aggregated": aggregated,
        "legend": legend(
            model, legend_kinds, focus=bool(focus), recovery=bool(view.states), evidence=bool(view.evidence)
        ),
        "notes": notes,
        "measures": view.measures,
        "states": _states(view, graph, edge_ids),
        "clearance": view.clearance.label,
        "dataVersion": view.data_version,
        "tlp": tlp.label,
        "styles": styles(model),
        "members": members,
        "memberLinks": member_links,
        "api": None,
        "identity": view.identity,
    }
    return data


def presize(items: list[dict[str, Any]], scaling: Mapping[str, Any], size: str) -> list[float] | None:
    """Scale the items' ``value`` to ``size`` (nodes: ``size`` and label font size, edges: ``width``) as
    vis-network's default scaling would, and drop the value; the range of values, or None without any.

    vis-network does this itself, but on every change it rescales every item and rebuilds its label
    (measured: a third of the 1,000-node / 9,449-edge view's drawing). The page scales what it adds later
    (expanded neighbours, opened aggregates) to the same range, so nothing drawn changes size then.
    """
    values = [float(item["value"]) for item in items if item.get("value") is not None]
    if not values:
        return None
    low, high = min(values), max(values)
    label = scaling.get("label") or {}
    for item in items:
        value = item.pop("value", None)
        if value is None:
            continue
        share = 0.5 if high == low else max(0.0, (float(value) - low) / (high - low))
        item[size] = round(scaling["min"] + share * (scaling["max"] - scaling["min"]), 2)
        if label.get("enabled"):
            font = round(label["min"] + share * (label["max"] - label["min"]), 2)
            item["font"] = {**item.get("font", {}), "size": font}
    return [low, high]


def styles(model: Model) -> dict[str, Any]:
    """Colours and shapes of the schema's node kinds and colours of its edge types, for what the page
    adds (expanded neighbours) and for its legend and filters."""
    return {
        "kinds": {name: {"color": kind.color, "shape": kind.shape} for name, kind in model.nodes.items()},
        # the view's own link types too, so a filter's swatch shows the type's colour, not the first line's
        "edges": {
            **{name: edge.color for name, edge in model.edges.items()},
            SHARES: EVIDENCE_COLOR,
            RECOVERY: RECOVERY_COLOR,
            AGGREGATE: EDGE_COLOR,
            MORE: MORE_COLOR,
        },
        "more": MORE_COLOR,
        "highlight": HIGHLIGHT,
        "recovery": RECOVERY_COLOR,
        "evidence": EVIDENCE_COLOR,
        "uncounted": UNCOUNTED_COLOR,
    }


def vis_node(model: Model, key: str, attrs: Mapping[str, Any], score: float | None = None) -> dict[str, Any]:
    """A node as vis-network draws it, with what the page filters and searches on (``cg*`` fields)."""
    kind = str(attrs.get("kind", ""))
    color, shape, entry = _style(model, kind, attrs)
    aliases = [str(a) for a in (attrs.get("aliases") or ())][:MAX_ALIASES]
    options: dict[str, Any] = {
        "label": node_label(key, attrs),
        "shape": shape,
        "color": color,
        "heading": _node_heading(key, attrs),
        "tip": node_tip(key, attrs, score),
        "cgKind": kind,
        "cgLegend": entry,
        "cgName": str(attrs.get("name", key)),
    }
    if kind == GROUP:
        options["label"] = str(attrs.get("name", key))
    if aliases:
        options["cgAliases"] = aliases
    for name, field_name in (("first_seen", "cgFirst"), ("last_seen", "cgLast"), ("tlp", "cgTlp")):
        if attrs.get(name):
            options[field_name] = str(attrs[name])
    if kind == MORE:
        options["cgHub"] = str(attrs.get("hub", ""))
        options["cgCount"] = int(attrs.get("count", 0))
    return options


def vis_edge(
    model: Model, key: str, attrs: Mapping[str, Any], *, label: bool, transfer_label: bool = False
) -> dict[str, Any]:
    """An edge as vis-network draws it: coloured by its type from the schema, as wide as it carries.
    ``label``: labelled; ``transfer_label``: labelled if it stands for a wallet pair's transfers."""
    etype = str(attrs.get("type", ""))
    color = model.edges[etype].color if etype in model.edges else EDGE_COLOR
    options: dict[str, Any] = {
        "id": key,
        "heading": etype.replace("_", " ").lower() if etype != AGGREGATE else "links between groups",
        "tip": edge_tip(attrs),
        "color": {"color": color},  # highlight and hover: the view's options (one for all edges)
        "cgType": etype,
    }
    for name, field_name in (("first_seen", "cgFirst"), ("last_seen", "cgLast"), ("tlp", "cgTlp")):
        if attrs.get(name):
            options[field_name] = str(attrs[name])
    weight = transfers.weight(dict(attrs)) if "transfer_rows" in attrs else edge_weight(attrs)
    if weight is not None:
        options["value"] = weight
    if "transfer_rows" in attrs:
        options["heading"] = transfers.label(dict(attrs))
        options["cgTransfers"] = attrs["transfer_rows"]
        options["cgCount"] = int(attrs.get("count", 0))
        if attrs.get("total") is not None:
            options["cgTotal"] = float(attrs["total"])
        if attrs.get("transfers_left"):
            options["cgTransfersLeft"] = attrs["transfers_left"]
        if label or transfer_label:
            options["label"] = transfers.label(dict(attrs))
        return options
    if etype == MORE:
        options.update(dashes=True, arrows="", color={"color": MORE_COLOR})
    elif etype == AGGREGATE:
        options.update(arrows="", color={"color": EDGE_COLOR})
        options["cgCount"] = int(attrs.get("count", 0))
    elif etype == RECOVERY:
        options.update(dashes=[6, 4], color={"color": RECOVERY_COLOR}, width=3)
    elif etype == SHARES and attrs.get("evidence") == UNCOUNTED:
        options.update(arrows="", color={"color": UNCOUNTED_COLOR}, width=1.5, dashes=[4, 4])
        options["heading"] = "gives this too (too common to count as evidence)"
        options["cgLegend"] = "gives (too common to count: not evidence)"
    elif etype == SHARES:
        options.update(arrows="", color={"color": EVIDENCE_COLOR}, width=3)
        options["heading"] = "gives this (shared evidence)"
        options["cgLegend"] = "gives (shared evidence)"
    if label and etype not in (MORE, AGGREGATE):
        options["label"] = edge_label(etype, attrs)
    return options


def node_label(key: str, attrs: Mapping[str, Any]) -> str:
    """A node's label: its name, an address shortened in the middle (``bc1qen4h…unvfnvw``), a wallet's
    service before its address."""
    name = " ".join(str(attrs.get("name", key)).split())
    if ADDRESS.fullmatch(name):
        name = name[:9] + "…" + name[-7:]
    service = attrs.get("service") if attrs.get("kind") == "Wallet" else None
    if service:
        return _short(str(service), LABEL_MAX) + "\n" + name
    return _short(name, LABEL_MAX)


def undirected_degree(graph: nx.MultiDiGraph) -> dict[str, int]:
    """Each node's degree in the graph as undirected and simple (``nx.Graph(graph).degree``: a
    neighbour once whichever way and however often linked, a loop twice), without building that graph."""
    succ, pred = graph.succ, graph.pred
    degree: dict[str, int] = {}
    for node in graph:
        around = succ[node].keys() | pred[node].keys()
        degree[node] = len(around) + (1 if node in around else 0)
    return degree


def simple_degree(graph: nx.MultiDiGraph) -> Counter[str]:
    """How many others each node is linked to (either direction, parallel links once)."""
    degree: Counter[str] = Counter()
    for u, v in {(u, v) if str(u) < str(v) else (v, u) for u, v in graph.edges() if u != v}:
        degree[u] += 1
        degree[v] += 1
    return degree


def _label_groups(
    groups: nx.MultiDiGraph, graph: nx.MultiDiGraph, scores: Mapping[str, float], degree: Mapping[str, int]
) -> None:
    """Label each aggregate with its kind, member count and its three members of highest score (degree in
    the view where there is no score)."""
    members: dict[str, list[str]] = {}
    for gid, attrs in groups.nodes(data=True):
        if attrs.get("kind") == GROUP:
            members[gid] = []
    for key, attrs in graph.nodes(data=True):
        group = attrs.get("_group")
        if group in members:
            members[group].append(key)
    for gid, keys in members.items():
        attrs = groups.nodes[gid]
        top = sorted(keys, key=lambda k: (-scores.get(k, degree.get(k, 0)), str(k)))[:3]
        names = [_short(str(graph.nodes[k].get("name", k)), 24) for k in top]
        kinds = attrs.get("kinds", {})
        main = str(attrs.get("main_kind", "?"))
        what = main if len(kinds) <= 1 else f"mostly {main}"
        attrs["name"] = f"{what} ×{attrs.get('size', len(keys))}\n" + ", ".join(names)
        attrs["top"] = names


def _members(
    graph: nx.MultiDiGraph,
    group_of: Mapping[str, str],
    model: Model,
    scores: Mapping[str, float],
    degree: Mapping[str, int],
) -> tuple[dict[str, list[dict[str, Any]]], list[list[Any]]]:
    """The members of each aggregate as vis nodes, and every link touching an aggregated member as
    ``[key, from, to, type, width]`` (tens of thousands of them: the page makes them vis edges when a
    group opens), for the page to open a group in place (double-click) without asking the server."""
    members: dict[str, list[dict[str, Any]]] = {}
    for key, attrs in sorted(graph.nodes(data=True), key=lambda item: str(item[0])):
        group = group_of.get(key)
        if group is None or group == key:
            continue
        node = vis_node(model, key, attrs, scores.get(key))
        node.update(id=str(key), value=float(degree.get(key, 0)) + 1.0)
        graph.nodes[key]["_group"] = group  # after its tooltip was made
        members.setdefault(group, []).append(node)
    links: list[list[Any]] = []
    for u, v, key, attrs in graph.edges(keys=True, data=True):
        if group_of.get(u, u) == u and group_of.get(v, v) == v:
            continue
        if attrs.get("type") == MORE:
            continue
        weight = transfers.weight(dict(attrs)) if "transfer_rows" in attrs else edge_weight(attrs)
        links.append([str(key), str(u), str(v), str(attrs.get("type", "")), weight])
    links.sort()
    return members, links


def _regroup(
    edges: list[tuple[Any, Any, Any, dict[str, Any]]], group_of: Mapping[str, str]
) -> list[tuple[Any, Any, Any, dict[str, Any]]]:
    """Recovery edges between the groups their ends went into (one per pair of groups)."""
    seen: dict[tuple[str, str], tuple[Any, Any, Any, dict[str, Any]]] = {}
    for u, v, _k, attrs in edges:
        gu, gv = group_of.get(u, u), group_of.get(v, v)
        if gu != gv and (gu, gv) not in seen:
            seen[(gu, gv)] = (gu, gv, f"recovery:{gu}>{gv}", attrs)
    return list(seen.values())


def vis_options(
    graph: nx.MultiDiGraph, physics: bool, *, labelled: bool = False, edges: int | None = None
) -> dict[str, Any]:
    """vis-network options: labels hidden when zoomed far out, physics only where it is quick; longer
    springs where edges carry labels. ``edges``: the graph's edge count, when known."""
    big = graph.number_of_nodes() > 300
    edges = graph.number_of_edges() if edges is None else edges
    return {
        "autoResize": True,
        "nodes": {
            "font": {"size": 13, "face": "DejaVu Sans, Arial, sans-serif"},
            "scaling": {
                "min": 8,
                "max": 42,
                "label": {"enabled": True, "min": 11, "max": 22, "drawThreshold": 7},
            },
            "borderWidth": 1,
        },
        "edges": {
            "smooth": False,
            "arrows": {"to": {"enabled": edges <= ARROWS_MAX, "scaleFactor": 0.45}},
            "scaling": {"min": 1, "max": 9, "label": {"enabled": False}},
            "font": {"size": 10, "align": "middle", "color": "#555555"},
            "color": {"highlight": EDGE_SELECTED, "hover": EDGE_SELECTED},
            "selectionWidth": 2,
        },
        "physics": (
            {
                "enabled": True,
                "solver": "barnesHut",
                "barnesHut": {
                    "gravitationalConstant": -6000,
                    "springLength": 260 if labelled else 140,
                    "avoidOverlap": 0.4,
                },
                "stabilization": {"enabled": True, "iterations": 150, "fit": True},
            }
            if physics
            else {"enabled": False}
        ),
        "interaction": {"hover": True, "tooltipDelay": 100, "hideEdgesOnDrag": big, "hideEdgesOnZoom": big},
        "layout": {"improvedLayout": False},
    }


def _style(model: Model, kind: str, attrs: Mapping[str, Any]) -> tuple[str, str, str]:
    """(colour, vis shape, legend entry) of a node."""
    if kind == MORE:
        return MORE_COLOR, "box", "+N more (collapsed neighbours)"
    if kind == GROUP:
        main = str(attrs.get("main_kind", ""))
        color = model.nodes[main].color if main in model.nodes else MORE_COLOR
        return color, "dot", f"group (mostly {main})"
    if kind == EVIDENCE:
        return "#e8d5f0", "box", "shared contact or product (a value, not an entity)"
    if kind in model.nodes:
        spec = model.nodes[kind]
        return spec.color, spec.shape, kind
    return MORE_COLOR, "dot", kind or "?"


def legend(
    model: Model,
    shown: Mapping[str, int],
    *,
    focus: bool = False,
    recovery: bool = False,
    evidence: bool = False,
) -> list[dict[str, Any]]:
    """Legend entries for what the view shows: node kinds from the schema with their counts."""
    entries: list[dict[str, Any]] = []
    for label, count in sorted(shown.items(), key=lambda item: (-item[1], item[0])):
        kind = label if label in model.nodes else None
        color = model.nodes[kind].color if kind else MORE_COLOR
        if label.startswith("group (mostly "):
            main = label[len("group (mostly ") : -1]
            color = model.nodes[main].color if main in model.nodes else MORE_COLOR
        shape = model.nodes[kind].shape if kind else "dot"
        entries.append({"label": f"{label} ({count})", "color": color, "round": shape in ("dot", "ellipse")})
    if focus:
        entries.append({"label": "highlighted (asked about / target)", "color": HIGHLIGHT, "round": True})
    if recovery:
        entries.append(
            {"label": "link recovery could restore", "color": RECOVERY_COLOR, "line": True, "dashed": True}
        )
    if evidence:
        entries.append({"label": "shared evidence (hover for why)", "color": EVIDENCE_COLOR, "round": True})
    entries.append({"label": "edge width: amount or weight", "color": "#9a9a9a", "line": True})
    return entries


def _node_heading(key: str, attrs: Mapping[str, Any]) -> str:
    return str(attrs.get("name", key))


def node_tip(key: str, attrs: Mapping[str, Any], score: float | None = None) -> list[list[str]]:
    """Tooltip rows (label, text) of a node: identity, key properties, provenance. Plain text only."""
    kind = attrs.get("kind")
    if kind == GROUP:
        kinds = attrs.get("kinds", {})
        rows = [["nodes", str(attrs.get("size", 0))]]
        rows += [[str(k), str(n)] for k, n in list(kinds.items())[:8]]
        rows.append(["most linked", "; ".join(_short(t, 40) for t in attrs.get("top", []))])
        if attrs.get("hidden"):
            rows.append(["collapsed", f"{attrs['hidden']} more neighbours of its hubs not counted"])
        return rows
    if kind == MORE:
        return [["hidden", f"{attrs.get('count', 0)} more neighbours of this hub"]]
    rows = [["kind", f"{kind} / {attrs.get('type', '')}"], ["key", _short(str(key), VALUE_MAX)]]
    if score is not None:
        rows.append(["score", f"{score:.4g}"])
    shown = 0
    for name, value in sorted(attrs.items()):
        if name in _NODE_FIXED or value in (None, "", [], {}) or shown >= MAX_PROPS:
            continue
        rows.append([name, _text(value)])
        shown += 1
    rows += _provenance_rows(attrs)
    return rows


def edge_tip(attrs: Mapping[str, Any]) -> list[list[str]]:
    """Tooltip rows of an edge: its properties and provenance (aggregates: what they stand for)."""
    if "transfer_rows" in attrs:
        rows = [["transfers", f"{attrs.get('count', 0):,} (click the edge to list them)"]]
        for name, asset_total in (attrs.get("totals") or {}).items():
            rows.append([f"total {name}".strip(), f"{asset_total:,.8g}"])
        if attrs.get("total_usd") is not None:
            rows.append(["total USD", f"${attrs['total_usd']:,.2f} ({attrs.get('usd_known', 0)} known)"])
        if attrs.get("undated"):
            rows.append(["undated", str(attrs["undated"])])
        return rows + _provenance_rows(attrs)
    if attrs.get("type") == AGGREGATE:
        rows = [["edges", str(attrs.get("count", 0))]]
        return rows + [[str(t), str(n)] for t, n in list(attrs.get("types", {}).items())[:8]]
    if attrs.get("type") == MORE:
        return [["collapsed", "leaf neighbours of the hub"]]
    if attrs.get("type") == RECOVERY:
        return [["recovery", _text(attrs.get("why", "a link the network could form to route around"))]]
    rows = [["type", str(attrs.get("type", ""))]]
    for name, value in sorted(attrs.items()):
        if name in _EDGE_FIXED or value in (None, "", [], {}):
            continue
        rows.append([name, _text(value)])
    return rows + _provenance_rows(attrs)


def _provenance_rows(attrs: Mapping[str, Any]) -> list[list[str]]:
    rows: list[list[str]] = []
    sources = list(attrs.get("sources") or ())
    if sources:
        text = "; ".join(_short(str(s), 60) for s in sources[:MAX_SOURCES])
        if len(sources) > MAX_SOURCES:
            text += f"; +{len(sources) - MAX_SOURCES} more"
        rows.append(["sources", text])
    for name, label in (("first_seen", "first seen"), ("last_seen", "last seen")):
        if attrs.get(name):
            rows.append([label, str(attrs[name])])
    if attrs.get("confidence") is not None:
        rows.append(["confidence", str(attrs["confidence"])])
    if attrs.get("tlp"):
        rows.append(["TLP", str(attrs["tlp"])])
    return rows


def edge_label(etype: str, attrs: Mapping[str, Any]) -> str:
    """A short edge label: the amount moved for transfers, else the relationship type."""
    amount = attrs.get("amount")
    if isinstance(amount, int | float) and not isinstance(amount, bool):
        return f"{amount:,.6g} {attrs.get('asset') or ''}".strip()
    return etype.replace("_", " ").lower()


def edge_weight(attrs: Mapping[str, Any]) -> float | None:
    """How much an edge carries (amount, weight, or the count of edges an aggregate stands for)."""
    for name in EDGE_WEIGHTS:
        value = attrs.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return float(value)
    return None


def _states(view: View, graph: nx.MultiDiGraph, edge_ids: Mapping[str, str]) -> dict[str, Any] | None:
    """Per state, the vis ids to hide: its nodes (with their "+N more" markers), the edges touching them
    and the edges of its hidden types."""
    if not view.states:
        return None
    hidden: dict[str, dict[str, list[str]]] = {}
    for name, (nodes, types) in view.states.items():
        gone = {n for n in nodes if n in graph}
        gone |= {more_key(n) for n in gone if more_key(n) in graph}
        edges = {
            edge_ids[str(k)]
            for u, v, k, t in graph.edges(keys=True, data="type")
            if u in gone or v in gone or t in types
        }
        hidden[name] = {"nodes": sorted(gone), "edges": sorted(edges)}
    return {"order": list(view.states), "labels": dict(view.state_labels), "hidden": hidden}


def _size(
    key: str, attrs: Mapping[str, Any], scores: Mapping[str, float], degree: Mapping[str, int], scored: bool
) -> float:
    if attrs.get("kind") == GROUP:
        return float(attrs.get("size", 0))
    if attrs.get("kind") == MORE:
        return 0.0
    return float(scores[key]) if scored else float(degree.get(key, 0))


def _edge_order(item: tuple[Any, Any, Any, Mapping[str, Any]]) -> tuple[str, str, str]:
    return str(item[0]), str(item[1]), str(item[2])


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(value: Any) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        return _short(", ".join(str(v) for v in value), VALUE_MAX)
    if isinstance(value, float):
        return f"{value:,.6g}"
    return _short(str(value), VALUE_MAX)


def _json_loads(text: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(text)
    return loaded
