"""One entry for every export format: the scope read through the clearance, written as files.

The CLI writes these to disk; the API sends them (CSV, which is several tables, as one zip).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from backend.export import csv as csv_export
from backend.export import gexf, graphml, stix
from backend.export.graph import export_graph
from graph_model.errors import InvalidArgument
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from queries.scope import Scope


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    media_type: str
    suffix: str


FORMATS = {
    "stix": Format("stix", "application/stix+json;version=2.1", ".stix.json"),
    "gexf": Format("gexf", "application/gexf+xml", ".gexf"),
    "graphml": Format("graphml", "application/graphml+xml", ".graphml"),
    "csv": Format("csv", "application/zip", ".zip"),
}


@dataclass(frozen=True, slots=True)
class Exported:
    """An export's files by name (one file except for CSV), and what it holds."""

    files: dict[str, bytes]
    nodes: int
    edges: int


def check_format(name: str) -> Format:
    found = FORMATS.get(name.lower())
    if found is None:
        raise InvalidArgument(f"unknown export format {name!r}; known: {', '.join(FORMATS)}")
    return found


def export(store: GraphStore, clearance: TLP, scope: Scope, fmt: str) -> Exported:
    """The scope's visible graph in ``fmt``; InvalidArgument for an unknown format or scope."""
    found = check_format(fmt)
    graph = export_graph(store, clearance, scope)
    if found.name == "stix":
        files = {"export.stix.json": stix.dumps(graph)}
    elif found.name == "gexf":
        files = {"export.gexf": gexf.dumps(graph, store.model)}
    elif found.name == "graphml":
        files = {"export.graphml": graphml.dumps(graph, store.model)}
    else:
        files = csv_export.tables(graph, store.model)
    return Exported(files, graph.number_of_nodes(), graph.number_of_edges())


def single_file(exported: Exported) -> bytes:
    """The export as one file: itself, or a zip of the CSV tables (fixed timestamps, so stable bytes)."""
    if len(exported.files) == 1:
        return next(iter(exported.files.values()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(exported.files.items()):
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()
