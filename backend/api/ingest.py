"""The ``ingest`` mutation's work: the payload written to a temporary file, loaded as ``crimegraph load``."""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graph_model.entities import Edge, Node, edge_key
from graph_model.errors import InvalidArgument
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from graph_model.writes import now_iso, record_write
from loaders import IngestSummary, LoadContext, ingest, reader
from loaders.records import Record

MAX_REJECTS = 100  # rejected records returned in the response; the counts cover all of them


def ingest_payload(
    store: GraphStore,
    fmt: str,
    payload: str,
    *,
    filename: str | None,
    source: str,
    tlp: TLP,
    confidence: int,
    analyst: str,
) -> tuple[IngestSummary, list[dict[str, Any]]]:
    """Load ``payload`` (the content of one file of ``fmt``) with the CLI's validation and rejects; the
    write is recorded as made by ``analyst`` (the caller's name, :mod:`graph_model.writes`)."""
    summary, _, rejects = ingest_seen(
        store,
        fmt,
        payload,
        filename=filename,
        source=source,
        tlp=tlp,
        confidence=confidence,
        analyst=analyst,
        clearance=TLP.RED,
    )
    return summary, rejects


def ingest_seen(
    store: GraphStore,
    fmt: str,
    payload: str,
    *,
    filename: str | None,
    source: str,
    tlp: TLP,
    confidence: int,
    analyst: str,
    clearance: TLP,
) -> tuple[IngestSummary, Seen, list[dict[str, Any]]]:
    """:func:`ingest_payload`, with the counts as the caller sees them (:class:`Seen`, over what
    ``clearance`` sees: the answer of the ``ingest`` mutation)."""
    read = reader(fmt)
    name = Path(filename or f"payload.{fmt}").name  # a file name only, never a path
    if not name or name.startswith("."):
        raise InvalidArgument(f"filename {filename!r} is not a plain file name")
    sink = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="crimegraph-ingest-") as tmp:
        path = Path(tmp) / name
        path.write_text(payload, encoding="utf-8")
        context = LoadContext(store.model, source, tlp, confidence)
        started = now_iso()
        # Read whole (the payload is bounded): what the caller could see before is asked before writing.
        records = list(read(path, context))
        view = CallerView(store, clearance, records)
        summary = ingest(store, records, rejects=sink)
        seen = view.after(summary)
    if summary.read:
        details = {
            "format": fmt,
            "files": [name],
            "source": source,
            "tlp": tlp.label,
            "counts": summary.as_json(),
        }
        record_write(store, analyst=analyst, action="ingest", started=started, details=details)
    rejects = [json.loads(line) for line in sink.getvalue().splitlines()[:MAX_REJECTS]]
    for entry in rejects:
        entry.pop("file", None)  # the temporary directory means nothing to the caller
    return summary, seen, rejects


@dataclass(frozen=True, slots=True)
class Seen:
    """What an ingest did, as its caller sees it: entities and links they could not see before and now
    can (new), records that went into ones they could already see (merged), and links that wait for an
    end they cannot see (pending) - whether that end does not exist or is above their clearance, which
    the counts never tell apart."""

    nodes_new: int
    edges_new: int
    merged: int
    edges_pending: int


class CallerView:
    """The caller's view of the entities and links a payload names, before its write and after."""

    def __init__(self, store: GraphStore, clearance: TLP, records: Sequence[Record]) -> None:
        self.store = store
        self.clearance = clearance
        good = [r for r in records if r.error is None and r.skipped is None]
        self.nodes = [i for r in good for i in r.items if isinstance(i, Node)]
        self.edges = [i for r in good for i in r.items if isinstance(i, Edge)]
        names = {n.key for n in self.nodes} | {i for n in self.nodes for i in n.ids}
        self.node_names = sorted(names)
        self.names = sorted(names | {e.source for e in self.edges} | {e.target for e in self.edges})
        self.types = frozenset(e.type for e in self.edges)
        self.before_nodes, self.before_links = self._visible()

    def _visible(self) -> tuple[dict[str, str], set[str]]:
        """Identifier -> the key of the entity it names as the caller sees it, and the keys of the
        visible links of the payload's types between those entities."""
        found = self.store.get_many(self.names, clearance=self.clearance)
        keys = {name: node.key for name, node in found.items()}
        links: set[str] = set()
        if self.types and keys:
            visible = self.store.links(sorted(set(keys.values())), clearance=self.clearance, types=self.types)
            links = {link.key for link in visible}
        return keys, links

    def after(self, summary: IngestSummary) -> Seen:
        nodes_after, links_after = self._visible()
        named_before = {self.before_nodes[n] for n in self.node_names if n in self.before_nodes}
        named_after = {nodes_after[n] for n in self.node_names if n in nodes_after}
        nodes_new = len(named_after - named_before)
        written = summary.store
        node_records = written.nodes_new + written.nodes_merged
        keys = [self._key(edge, nodes_after) for edge in self.edges]
        shown = [k for k in keys if k is not None and k in links_after]
        edges_new = len(set(shown) - self.before_links)
        edge_records = written.edges_new + written.edges_merged + written.edges_pending
        return Seen(
            nodes_new=nodes_new,
            edges_new=edges_new,
            merged=max(node_records - nodes_new, 0) + max(len(shown) - edges_new, 0),
            edges_pending=max(edge_records - len(shown), 0),
        )

    @staticmethod
    def _key(edge: Edge, nodes: dict[str, str]) -> str | None:
        source, target = nodes.get(edge.source), nodes.get(edge.target)
        if source is None or target is None:
            return None
        return edge_key(edge.type, source, target, edge.discriminator)
