"""TAXII benchmark: a TAXII pull and a STIX export, each as a ratio to the same bundle as a file.

On a store holding a generated ecosystem (``loaders.generate``), all on the embedded store:

- export: serving the whole collection over TAXII (``crimegraph serve``, the first read of a collection at a
  clearance exports it) and paging through it with taxii2-client, pages of 1,000 - against ``crimegraph
  export stix`` writing the same bundle to a file;
- pull: ``crimegraph load taxii`` of that collection (pages of 1,000, each loaded as it comes) into a new
  store - against ``crimegraph load stix`` of the exported file into a new store.

    python benchmarks/taxii.py --size S      # S or M (1k, 10k actors)

Each command runs as a process of its own, timed from the outside (wall clock).
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="S")
    size = parser.parse_args().size
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "CRIMEGRAPH_API_KEYS": f"{KEY}:admin:RED",
        "CRIMEGRAPH_TAXII_PASSWORD": KEY,
    }
    with tempfile.TemporaryDirectory(prefix="crimegraph-taxii-bench-") as folder:
        root = Path(folder)
        tables = generate(root / "eco", SIZES[size], 1).tables
        store = f"embedded:{root / 'a.db'}"
        crimegraph("--store", store, "load", "csv", *map(str, tables), env=env)
        exported = root / "a.stix.json"
        file_export = crimegraph(
            "--store", store, "export", "stix", "-o", str(exported), "--clearance", "RED"
        )
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "-m", "backend", "--store", store, "serve", "--port", str(port),
             "--workers", "1"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{url}/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
            collection = Collection(f"{url}/taxii2/crimegraph/collections/{ALL_ID}/", user="b", password=KEY)
            started = time.perf_counter()
            served = sum(
                len(e.get("objects", [])) for e in as_pages(collection.get_objects, per_request=1000)
            )
            taxii_export = time.perf_counter() - started
            file_load = crimegraph(
                "--store", f"embedded:{root / 'c.db'}", "load", "stix", str(exported), env=env
            )
            taxii_pull = crimegraph(
                "--store", f"embedded:{root / 'b.db'}", "load", "taxii", f"{url}/taxii2/", "--collection",
                "Everything", env=env,
            )  # fmt: skip
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=60)
    print(f"size {size}: {served:,} objects")
    export_ratio, pull_ratio = taxii_export / file_export, taxii_pull / file_load
    print(f"export: TAXII paging {taxii_export:.1f} s, file {file_export:.1f} s, ratio {export_ratio:.2f}")
    print(f"pull:   load taxii {taxii_pull:.1f} s, load stix file {file_load:.1f} s, ratio {pull_ratio:.2f}")


if __name__ == "__main__":
    main()
