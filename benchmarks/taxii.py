"""TAXII benchmark: a TAXII pull and a STIX export, each as a ratio to the same bundle as a file.

On a store holding a generated ecosystem (``loaders.generate``), all on the embedded store:

- export: serving the whole collection over TAXII (``crimegraph serve``, the first read of a collection at a
  clearance exports it) and paging through it with taxii2-client, pages of 1,000 - against ``crimegraph
  export stix`` writing the same bundle to a file;
- pull: ``crimegraph load taxii`` of that collection (pages of 1,000, each loaded as it comes) into a new
  store - against ``crimegraph load stix`` of the exported file into a new store.

    python benchmarks/taxii.py --size S      # S or M (1k, 10k actors)
    python benchmarks/taxii.py --size M --work DIR --phase PHASE   # one phase per run: see --help

Each command runs as a process of its own, timed from the outside (wall clock).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Run as a script, this folder comes first on sys.path, and benchmarks/queries.py would hide the package.
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from taxii2client.v21 import Collection, as_pages  # noqa: E402

from backend.api.server import free_port  # noqa: E402
from backend.taxii.collections import ALL_ID  # noqa: E402
from loaders.generate import generate  # noqa: E402

SIZES = {"S": 1000, "M": 10000}
KEY = "benchmark-key-0123456789abcdef"


def crimegraph(*args: str, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "backend", *args], check=True, capture_output=True, env=env)
    return time.perf_counter() - started


def serve(store: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "backend", "--store", store, "serve", "--port", str(port), "--workers", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(3000):
        try:
            if httpx.get(f"{url}/readyz").status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    return server, url


def stop(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGINT)
    server.wait(timeout=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="S")
    parser.add_argument(
        "--phase",
        choices=("all", *PHASES),
        default="all",
        help="One part per run (for the ten-minute limit at M): prepare (generate and load, untimed), "
        "export-file, export-taxii, load-file (needs export-file), load-taxii; figures kept in --work.",
    )
    parser.add_argument("--work", type=Path, help="Folder kept between phases (default: a temporary one).")
    args = parser.parse_args()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "CRIMEGRAPH_API_KEYS": f"{KEY}:admin:RED",
        "CRIMEGRAPH_TAXII_PASSWORD": KEY,
        "CRIMEGRAPH_API__TAXII_TIME_BUDGET": "3000",  # the first read exports the collection: M takes minutes
    }
    if args.work is None and args.phase != "all":
        parser.error("--phase needs --work (the folder the phases share)")
    with tempfile.TemporaryDirectory(prefix="crimegraph-taxii-bench-") as folder:
        root = args.work or Path(folder)
        root.mkdir(parents=True, exist_ok=True)
        phases = PHASES if args.phase == "all" else (args.phase,)
        for phase in phases:
            RUN[phase](root, args.size, env)


def prepare(root: Path, size: str, env: dict[str, str]) -> None:
    for old in [*root.glob("*.db*"), root / "figures.json"]:
        old.unlink(missing_ok=True)
    tables = generate(root / "eco", SIZES[size], 1).tables
    crimegraph("--store", f"embedded:{root / 'a.db'}", "load", "csv", *map(str, tables), env=env)
    print(f"size {size}: prepared in {root}")


def _record(root: Path, name: str, seconds: float) -> dict[str, float]:
    """Keep one phase's figure in the work folder; all figures so far."""
    path = root / "figures.json"
    figures: dict[str, float] = json.loads(path.read_text()) if path.exists() else {}
    figures[name] = seconds
    path.write_text(json.dumps(figures, indent=1))
    return figures


def _ratios(figures: dict[str, float]) -> None:
    for what, taxii, file in (("export", "export_taxii", "export_file"), ("pull", "load_taxii", "load_file")):
        if taxii in figures and file in figures:
            ratio = figures[taxii] / figures[file]
            print(f"{what}: TAXII {figures[taxii]:.1f} s, file {figures[file]:.1f} s, ratio {ratio:.2f}")


def export_file(root: Path, size: str, env: dict[str, str]) -> None:
    """``crimegraph export stix`` of the whole store to a file."""
    exported = root / "a.stix.json"
    seconds = crimegraph("--store", f"embedded:{root / 'a.db'}", "export", "stix", "-o", str(exported),
                         "--force", "--clearance", "RED", env=env)  # fmt: skip
    print(f"size {size}: export stix {seconds:.1f} s, {exported.stat().st_size / 1e6:,.0f} MB")
    _ratios(_record(root, "export_file", seconds))


def export_taxii(root: Path, size: str, env: dict[str, str]) -> None:
    """Every page (1,000 objects) of the served collection, the server exporting it on the first read."""
    server, url = serve(f"embedded:{root / 'a.db'}", env)
    try:
        collection = Collection(f"{url}/taxii2/crimegraph/collections/{ALL_ID}/", user="b", password=KEY)
        started = time.perf_counter()
        served = sum(len(e.get("objects", [])) for e in as_pages(collection.get_objects, per_request=1000))
        seconds = time.perf_counter() - started
    finally:
        stop(server)
    print(f"size {size}: {served:,} objects served in {seconds:.1f} s")
    _ratios(_record(root, "export_taxii", seconds))


def load_file(root: Path, size: str, env: dict[str, str]) -> None:
    """``crimegraph load stix`` of the exported file into a new store."""
    for old in root.glob("c.db*"):
        old.unlink()
    seconds = crimegraph("--store", f"embedded:{root / 'c.db'}", "load", "stix", str(root / "a.stix.json"),
                         env=env)  # fmt: skip
    print(f"size {size}: load stix {seconds:.1f} s")
    _ratios(_record(root, "load_file", seconds))


def load_taxii(root: Path, size: str, env: dict[str, str]) -> None:
    """``crimegraph load taxii`` of the collection (pages of 1,000) into a new store; the server's export
    (timed by export-taxii) is made before the timing starts."""
    for old in root.glob("b.db*"):
        old.unlink()
    server, url = serve(f"embedded:{root / 'a.db'}", env)
    try:
        Collection(f"{url}/taxii2/crimegraph/collections/{ALL_ID}/", user="b", password=KEY).get_objects(
            limit=1
        )
        seconds = crimegraph(
            "--store", f"embedded:{root / 'b.db'}", "load", "taxii", f"{url}/taxii2/", "--collection",
            "Everything", env=env,
        )  # fmt: skip
    finally:
        stop(server)
    print(f"size {size}: load taxii {seconds:.1f} s")
    _ratios(_record(root, "load_taxii", seconds))


PHASES = ("prepare", "export-file", "export-taxii", "load-file", "load-taxii")
RUN = {
    "prepare": prepare,
    "export-file": export_file,
    "export-taxii": export_taxii,
    "load-file": load_file,
    "load-taxii": load_taxii,
}


if __name__ == "__main__":
    main()
