"""CSV export in the tables ``crimegraph load csv`` reads (docs/csv-formats.md), so CSV round-trips exactly.

One folder per dataset (``datasets.json`` names the dataset of each folder), loaded back with
``crimegraph load csv FOLDER/*.csv --source DATASET`` (the files are numbered so that ``*`` lists the
entity tables before the tables that only name their entities). Each source record of a node becomes one row
of its table (``source_ref`` = the record), carrying the links the loader reads from that same row
(``member_of``, ``hosted_on``, ``owner``, ``admins`` ...); transfers go to ``transactions.csv``, forum
activity to ``activity.csv``, every other link to ``edges.csv``. A row's confidence, TLP and times are
its record's, so merging the rows again gives each node and edge the provenance it had.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from backend.export.graph import discriminator
from backend.export.typed import LIST_SEPARATOR
from graph_model.errors import ValidationError
from graph_model.identity import node_key
from graph_model.model import Model
from graph_model.provenance import TLP, Provenance, merge_provenance
from graph_model.store.base import PROVENANCE_ATTRIBUTES, read_marks

COMMON = ["confidence", "tlp", "first_seen", "last_seen", "source_ref"]
COLUMNS: dict[str, list[str]] = {
    "actors": ["key", "actor", "type", "id", "aliases", "roles", "country", "located_in", "status",
               "description", "member_of"],
    "infrastructure": [
        "key", "type", "value", "hosted_on", "resolves_to", "belongs_to", "operated_by", "bulletproof",
        "country", "as_name", "status", "description", "port", "tags", "abuse_email", "abuse_phone",
        "registrant_country",
    ],
    "wallets": ["key", "chain", "address", "owner", "service", "service_type", "cluster", "families"],
    "forums": ["key", "forum", "type", "url", "language", "status", "escrow", "admins", "escrow_admins",
               "aliases", "hosted_on"],
    "threads": ["key", "thread_id", "forum", "title", "author", "posted_at", "url"],
    "posts": ["key", "post_id", "thread_id", "forum", "author", "posted_at", "text"],
    "activity": ["actor", "actor_key", "forum", "forum_key", "relation", "posts", "threads", "product",
                 "role", "weight"],
    "transactions": ["tx_id", "output_index", "from", "from_key", "to", "to_key", "amount", "asset", "chain",
                     "time", "amount_usd"],
    "edges": ["source_kind", "source_type", "source", "source_key", "type", "target_kind", "target_type",
              "target", "target_key", "weight", "relation", "discriminator"],
}  # fmt: skip
# Every row names its node by crimegraph's key (``key``) and every link row its ends (``source_key``,
# ``from_key``, ``actor_key`` ...) beside the names the loader reads: names are not unique (two actors
# may share one), keys are, so a spreadsheet joins on them. The loader ignores these columns.
# Node properties each entity table has a column for.
PROPERTIES = {
    "actors": ("aliases", "roles", "country", "located_in", "status", "description"),
    "infrastructure": (
        "bulletproof",
        "country",
        "as_name",
        "status",
        "description",
        "port",
        "tags",
        "abuse_email",
    )
    + ("abuse_phone", "registrant_country"),
    "wallets": ("service", "service_type", "cluster", "families"),
    "forums": ("url", "language", "status", "escrow", "aliases"),
    "threads": ("title", "posted_at", "url"),
    "posts": ("posted_at", "text"),
}
VENUES = frozenset({"forum", "marketplace", "channel"})
ACTIVITY = {"ACTIVE_ON": "active_on", "SELLS_ON": "sells_on", "ADMINISTERS": "administers"}
Row = dict[str, str]


@dataclass(slots=True)
class _Edge:
    source: str
    target: str
    key: str
    data: dict[str, Any]


@dataclass(slots=True)
class _Dataset:
    """The rows of one dataset, by table; ``columns`` holds the links written into a node's own row."""

    rows: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    columns: dict[tuple[str, str], dict[str, list[str]]] = field(default_factory=dict)
    provs: dict[tuple[str, str], list[Provenance]] = field(default_factory=lambda: defaultdict(list))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(str(v) for v in value)
    return str(value)


def _split(source: str) -> tuple[str, str]:
    dataset, _, record = source.partition("#")
    return dataset, record


def _prov(data: dict[str, Any]) -> Provenance:
    return Provenance(
        sources=frozenset(data.get("sources") or ()),
        first_seen=data.get("first_seen"),
        last_seen=data.get("last_seen"),
        confidence=int(data["confidence"]),
        tlp=TLP.parse(data["tlp"]),
    )


def meet(a: Provenance, b: Provenance) -> Provenance:
    """The greatest provenance below both (the dual of ``merge_provenance``): what a row that gave both a
    node and one of its links must at least have said, and at most."""
    return Provenance(
        sources=a.sources & b.sources,
        first_seen=None if a.first_seen is None or b.first_seen is None else max(a.first_seen, b.first_seen),
        last_seen=None if a.last_seen is None or b.last_seen is None else min(a.last_seen, b.last_seen),
        confidence=min(a.confidence, b.confidence),
        tlp=min(a.tlp, b.tlp),
    )


def source_level(attrs: dict[str, Any], source: str) -> TLP:
    """The marking of one source's statement of a node or link: its level within the export (a node or
    link seen at several levels says which of its sources only a higher level holds, in ``marked``)."""
    marks = read_marks(attrs.get("marked"))
    if not marks:
        return TLP.parse(attrs["tlp"])
    floor, found = marks["tlp"], marks.get("sources")
    assert isinstance(floor, TLP)
    return found.get(source, floor) if isinstance(found, dict) else floor


def _common(prov: Provenance, record: str, level: TLP) -> Row:
    return {
        "confidence": str(prov.confidence),
        "tlp": level.label,
        "first_seen": prov.first_seen or "",
        "last_seen": prov.last_seen or "",
        "source_ref": record,
    }


class _Writer:
    def __init__(self, graph: nx.MultiDiGraph, model: Model) -> None:
        self.graph = graph
        self.model = model
        self.datasets: dict[str, _Dataset] = defaultdict(_Dataset)

    # -- names -------------------------------------------------------------------------------
    def value(self, key: str) -> str:
        """The text that names a node: its name where that gives its key (or, for a node keyed by a UUID,
        an identifier that resolves to it), else the key's value."""
        attrs = self.graph.nodes[key]
        if key.startswith(("uuid:", "stix:")):
            return str(attrs["name"])
        try:
            if node_key(self.model, attrs["kind"], attrs["type"], attrs["name"]) == key:
                return str(attrs["name"])
        except ValidationError:
            pass
        return key.partition(":")[2]

    def reference(self, key: str) -> str:
        """How a row names another node: ``type:value`` (see :meth:`spelling`)."""
        return f"{self.graph.nodes[key]['type']}:{self.spelling(key)}"

    def spelling(self, key: str) -> str:
        """How a row names another node. A node with a row of its own that goes by another spelling of the
        same key is named by that spelling, which merging keeps as its alias."""
        attrs = self.graph.nodes[key]
        spelling = self.value(key)
        if _table(attrs["kind"], attrs["type"]) and not key.startswith(("uuid:", "stix:")):
            for alias in attrs.get("aliases") or ():
                try:
                    if node_key(self.model, attrs["kind"], attrs["type"], alias) == key:
                        spelling = alias
                        break
                except ValidationError:
                    continue
        return spelling

    def venue_of(self, key: str) -> str | None:
        """The forum (or thread) a thread (or post) is PART_OF."""
        for _, target, data in self.graph.out_edges(key, data=True):
            if data["type"] == "PART_OF":
                return str(target)
        return None

    # -- edges -------------------------------------------------------------------------------
    def own_row(self, edge: _Edge) -> tuple[str, str] | None:
        """(own node, column) when the loader reads this link from the row of one of its ends."""
        g = self.graph.nodes
        etype, s, t = edge.data["type"], edge.source, edge.target
        sk, tk, st, tt = g[s]["kind"], g[t]["kind"], g[s]["type"], g[t]["type"]
        if etype == "MEMBER_OF" and sk == tk == "Actor":
            return s, "member_of"
        if etype in ("HOSTED_ON", "RESOLVES_TO", "BELONGS_TO") and sk == tk == "Infrastructure":
            return s, etype.lower()
        if etype == "HOSTED_ON" and sk == "Forum" and st in VENUES and tk == "Infrastructure":
            return s, "hosted_on"
        if etype == "OPERATES" and sk == "Actor" and tk == "Infrastructure":
            return t, "operated_by"
        if etype == "OWNS" and sk == "Actor" and tk == "Wallet":
            return t, "owner"
        props = {k: v for k, v in edge.data.items() if k not in _PROVENANCE}
        if (
            etype == "ADMINISTERS"
            and tk == "Forum"
            and tt in VENUES
            and props in ({"role": "admin"}, {"role": "escrow"})
        ):
            return t, "admins" if props["role"] == "admin" else "escrow_admins"
        if etype == "PART_OF" and sk == "Forum" and st in ("thread", "post"):
            return s, "part_of"
        if etype == "POSTED" and tk == "Forum" and tt in ("thread", "post"):
            return t, "author"
        return None

    def add_edge(self, edge: _Edge) -> None:
        prov = _prov(edge.data)
        own = self.own_row(edge)
        for source in sorted(prov.sources):
            dataset, record = _split(source)
            if not record:
                continue  # implied by another row (a post implies its thread's forum)
            book = self.datasets[dataset]
            if own is not None and f"{dataset}#{record}" in (self.graph.nodes[own[0]].get("sources") or ()):
                node, column = own
                far = edge.target if node == edge.source else edge.source
                cells = book.columns.setdefault((node, record), defaultdict(list))
                if column != "part_of":  # a thread's or post's place is its forum/thread columns
                    cells[column].append(self.reference(far))
                book.provs[node, record].append(meet(prov, _prov(self.graph.nodes[node])))
                continue
            row = self.link_row(edge, source)
            row.update(_common(prov, record, source_level(edge.data, source)))
            book.rows[row.pop("__table")].append(row)

    def link_row(self, edge: _Edge, source: str) -> Row:
        """The row of ``source``'s record of the link: what names the link, and of its properties those
        that source stated (each property is credited to the sources that stated its value)."""
        g = self.graph.nodes
        s, t = edge.source, edge.target
        disc = discriminator(edge.key, edge.data["type"], s, t)
        stated = json.loads(edge.data["stated"]) if edge.data.get("stated") else {}
        everyone = edge.data.get("sources") or ()
        # The transfer's own id and output index name it (they are its discriminator): every row has them.
        named = ("tx_id", "output_index")
        data = {k: v for k, v in edge.data.items() if k in named or source in stated.get(k, everyone)}
        data["type"] = edge.data["type"]
        tx_id, index = data.get("tx_id"), data.get("output_index")
        if (
            data["type"] == "TRANSFERRED"
            and tx_id
            and disc == (tx_id if index is None else f"{tx_id}:{index}")
        ):
            return {
                "__table": "transactions", "tx_id": tx_id, "output_index": _cell(index),
                "from": self.spelling(s), "from_key": s, "to": self.spelling(t), "to_key": t,
                "amount": _cell(data.get("amount")),
                "asset": _cell(data.get("asset")), "chain": g[s]["type"], "time": _cell(data.get("time")),
                "amount_usd": _cell(data.get("amount_usd")),
            }  # fmt: skip
        if data["type"] in ACTIVITY and g[s]["kind"] == "Actor" and g[t]["kind"] == "Forum" and not disc:
            return {
                "__table": "activity", "actor": self.reference(s), "actor_key": s,
                "forum": self.reference(t), "forum_key": t,
                "relation": ACTIVITY[data["type"]], **{
                    c: _cell(data.get(c)) for c in ("posts", "threads", "product", "role", "weight")
                },
            }  # fmt: skip
        return {
            "__table": "edges", "source_kind": g[s]["kind"], "source_type": g[s]["type"],
            "source": self.spelling(s), "source_key": s, "type": data["type"], "target_kind": g[t]["kind"],
            "target_type": g[t]["type"], "target": self.spelling(t), "target_key": t,
            "weight": _cell(data.get("weight")),
            "relation": _cell(data.get("relation")), "discriminator": disc,
        }  # fmt: skip

    # -- nodes -------------------------------------------------------------------------------
    def add_node(self, key: str) -> None:
        attrs = self.graph.nodes[key]
        table = _table(attrs["kind"], attrs["type"])
        if table is None:
            return  # only named by links (edges.csv); the loader has no table for its properties
        merged = _prov(attrs)
        for source in sorted(merged.sources):
            dataset, record = _split(source)
            if not record:
                continue  # named by another row
            book = self.datasets[dataset]
            cells = book.columns.get((key, record), {})
            linked = book.provs.get((key, record))
            prov = merged
            if linked:
                prov = linked[0]
                for other in linked[1:]:
                    prov = merge_provenance(prov, other)
            row = self.node_row(key, attrs, table, cells, source)
            if row is None:
                continue
            row.update(_common(prov, record, source_level(attrs, source)))
            book.rows[table].append(row)

    def node_row(
        self, key: str, attrs: dict[str, Any], table: str, cells: dict[str, list[str]], source: str
    ) -> Row | None:
        """The row of ``source``'s record of the node: the properties that source stated (each property
        is credited to the sources that stated its value), and the links read from that same row."""
        stated = json.loads(attrs["stated"]) if attrs.get("stated") else {}
        everyone = attrs.get("sources") or ()
        row: Row = {
            p: _cell(attrs.get(p)) if source in stated.get(p, everyone) else "" for p in PROPERTIES[table]
        }
        row["key"] = key
        row.update(
            {column: LIST_SEPARATOR.join(refs) for column, refs in cells.items() if column != "author"}
        )
        if table == "actors":
            row.update(actor=self.value(key), type=attrs["type"])
            if key.startswith("uuid:"):
                row["id"] = key.partition(":")[2]
        elif table == "infrastructure":
            row.update(type=attrs["type"], value=self.value(key))
        elif table == "wallets":
            row.update(chain=attrs["type"], address=self.value(key))
        elif table == "forums":
            row.update(forum=self.value(key), type=attrs["type"])
        else:  # a thread or a post: named inside its forum
            parent = self.venue_of(key)
            venue = self.venue_of(parent) if table == "posts" and parent else parent
            if parent is None or venue is None:
                return None
            scope = venue.partition(":")[2]
            row["forum"] = self.reference(venue)
            own = str(attrs["name"]).removeprefix(f"{scope}/")
            if table == "threads":
                row["thread_id"] = own
            else:
                row.update(
                    post_id=own, thread_id=str(self.graph.nodes[parent]["name"]).removeprefix(f"{scope}/")
                )
            authors = cells.get("author") or []
            row["author"] = authors[0] if authors else ""
        return row


_PROVENANCE = frozenset({"type", *PROVENANCE_ATTRIBUTES})


def _table(kind: str, type_: str) -> str | None:
    if kind == "Actor":
        return "actors"
    if kind == "Infrastructure":
        return "infrastructure"
    if kind == "Wallet":
        return "wallets"
    if kind == "Forum":
        return "forums" if type_ in VENUES else f"{type_}s"
    return None


def folder_name(dataset: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", dataset).strip("._") or "dataset"


def tables(graph: nx.MultiDiGraph, model: Model) -> dict[str, bytes]:
    """The export as files: ``{"<folder>/<table>.csv": bytes, ..., "datasets.json": bytes}``."""
    writer = _Writer(graph, model)
    for source, target, key, data in sorted(graph.edges(keys=True, data=True), key=lambda e: e[2]):
        writer.add_edge(_Edge(source, target, key, data))
    # Nodes keyed by a UUID first: a row naming one by its name then finds it by that identifier.
    for key in sorted(graph.nodes, key=lambda k: (not k.startswith(("uuid:", "stix:")), k)):
        writer.add_node(key)
    files: dict[str, bytes] = {}
    folders: dict[str, str] = {}
    for dataset, book in sorted(writer.datasets.items()):
        folder = folder_name(dataset)
        while folder in folders:
            folder += "_"
        folders[folder] = dataset
        for number, table in enumerate(COLUMNS, 1):
            if book.rows.get(table):
                files[f"{folder}/{number:02d}-{table}.csv"] = _csv(COLUMNS[table] + COMMON, book.rows[table])
    files["datasets.json"] = (json.dumps(folders, indent=1, sort_keys=True) + "\n").encode("utf-8")
    return files


def _csv(columns: list[str], rows: list[Row]) -> bytes:
    text = io.StringIO()
    out = csv.writer(text, lineterminator="\n")
    out.writerow(columns)
    for row in rows:
        out.writerow([row.get(c, "") for c in columns])
    return text.getvalue().encode("utf-8")
