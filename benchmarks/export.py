"""Time each export format and a takedown package on a generated ecosystem (not run in CI).

    python benchmarks/export.py --actors 1000      # size S: ~10k nodes, ~48k edges

Prints seconds and objects (or bytes) per format, on the embedded store.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from backend.export import csv as csv_export
from backend.export import gexf, graphml, stix
from backend.export.graph import export_graph
from backend.export.package import package_files, takedown_package
from graph_model.model import default_model
from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from loaders import LoadContext, ingest, reader
from loaders.generate import generate
from queries.disruption.plan import takedown_plan
from queries.scope import Scope


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--actors", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    model = default_model()
    with tempfile.TemporaryDirectory() as tmp:
        report = generate(Path(tmp) / "eco", args.actors, args.seed)
        store = EmbeddedStore(Path(tmp) / "graph.db", model)
        for table in report.tables:
            ingest(store, reader("csv")(table, LoadContext(model, "bench")))
        started = time.perf_counter()
        graph = export_graph(store, TLP.RED, Scope())
        print(
            f"read {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges: "
            f"{time.perf_counter() - started:.1f}s"
        )
        for name, write in (
            ("stix", lambda: stix.dumps(graph)),
            ("gexf", lambda: gexf.dumps(graph, model)),
            ("graphml", lambda: graphml.dumps(graph, model)),
            ("csv", lambda: b"".join(csv_export.tables(graph, model).values())),
        ):
            started = time.perf_counter()
            data = write()
            seconds = time.perf_counter() - started
            print(f"{name:8} {seconds:6.1f}s {len(data) / 1e6:7.1f} MB")
        plan = takedown_plan(store, TLP.RED, Scope(), budget=10)
        started = time.perf_counter()
        files = package_files(takedown_package(store, TLP.GREEN, plan))
        print(
            f"package  {time.perf_counter() - started:6.1f}s {len(files)} files, {len(plan.targets)} targets"
        )
        store.close()


if __name__ == "__main__":
    main()
