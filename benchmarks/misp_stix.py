"""MISP's STIX import of ``crimegraph export misp-stix``, on the demo graph (``crimegraph demo``: 300 actors,
seed 7).

- export: ``crimegraph export misp-stix`` of the whole demo to a file (beside ``export stix`` and ``export
  misp`` of the same graph, for scale);
- import: misp-stix's own STIX import (``stix_2_to_misp``, as MISP runs it) of that file to a MISP event, and
  what the event keeps: its objects and object references against the demo's nodes, links and transfers.

    python benchmarks/misp_stix.py --work DIR                  # builds DIR/demo.db first if it is missing
    python benchmarks/misp_stix.py --work DIR --phase import   # one phase per run: export, import

Each phase runs as a process of its own, timed from the outside (wall clock); prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

COUNT = """
import json, sys
from pathlib import Path
from graph_model.model import default_model
from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from backend.export.graph import export_graph
from queries.scope import Scope
store = EmbeddedStore(Path(sys.argv[1]), default_model())
graph = export_graph(store, TLP.CLEAR, Scope())
transfers = sum(1 for *_, d in graph.edges(data=True) if d["type"] == "TRANSFERRED")
wallets = sum(1 for _, a in graph.nodes(data=True) if a["kind"] == "Wallet")
print(json.dumps({"nodes": graph.number_of_nodes(), "links": graph.number_of_edges(),
                  "transfers": transfers, "wallets": wallets}))
"""

IMPORT = """
import json, sys
from pathlib import Path
from misp_stix_converter import stix_2_to_misp
from pymisp import MISPEvent
result = stix_2_to_misp(Path(sys.argv[1]), output_dir=Path(sys.argv[2]), single_event=True, overwrite=True)
assert result.get("success") == 1, result
event = MISPEvent()
event.load_file(str(result["results"][0]))
names = [o.name for o in event.objects]
print(json.dumps({"objects": len(event.objects), "attributes": len(event.attributes),
                  "references": sum(len(o.references) for o in event.objects),
                  "wallets": sum(1 for n in names if n in ("btc-wallet", "coin-address")),
                  "transactions": names.count("cryptocurrency-transaction"),
                  "errors": result.get("errors", [])}))
"""


def timed(*args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(args, check=True, capture_output=True, text=True)
    return time.perf_counter() - started, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, required=True, help="folder for the demo store and the files")
    parser.add_argument("--phase", choices=["export", "import"], action="append")
    args = parser.parse_args()
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    store = work / "demo.db"
    if not store.exists():
        timed(sys.executable, "-m", "backend", "demo", "--path", str(store), "--no-serve")
    _, counted = timed(sys.executable, "-c", COUNT, str(store))
    found: dict[str, object] = {"demo": json.loads(counted)}
    location = f"embedded:{store}"
    for phase in args.phase or ["export", "import"]:
        if phase == "export":
            for fmt, name in [
                ("stix", "demo.stix.json"),
                ("misp", "demo.misp.json"),
                ("misp-stix", "demo.misp.stix.json"),
            ]:
                seconds, _ = timed(
                    sys.executable,
                    "-m",
                    "backend",
                    "--store",
                    location,
                    "export",
                    fmt,
                    "-o",
                    str(work / name),
                )
                found[f"export {fmt} s"] = round(seconds, 1)
        else:
            seconds, out = timed(
                sys.executable, "-c", IMPORT, str(work / "demo.misp.stix.json"), str(work / "misp")
            )
            found["misp-stix import s"] = round(seconds, 1)
            found["misp event"] = json.loads(out)
    print(json.dumps(found))


if __name__ == "__main__":
    main()
