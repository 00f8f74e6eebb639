"""The embedded store survives restarts, and a process killed mid-batch leaves no half-written batch."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graph_model.entities import Edge, make_node
from graph_model.errors import StoreError
from graph_model.model import Model
from graph_model.provenance import TLP, Provenance
from graph_model.store.embedded import EmbeddedStore

WRITER = """
import sys
from graph_model.entities import make_node, Edge
from graph_model.model import default_model
from graph_model.provenance import Provenance
from graph_model.store.embedded import EmbeddedStore
model = default_model()
store = EmbeddedStore(sys.argv[1], model)
prov = Provenance.of("crash-test", "1")
for batch in range(1000):
    nodes = [make_node(model, "Infrastructure", "ip", f"10.{batch % 250}.{i // 250}.{i % 250}", prov=prov)
             for i in range(5000)]
    print("writing", batch, flush=True)
    store.upsert(nodes)
"""


def test_survives_restart(tmp_path: Path, model: Model) -> None:
    path = tmp_path / "g.db"
    store = EmbeddedStore(path, model)
    store.upsert([make_node(model, "Actor", "handle", "Bassterlord", prov=Provenance.of("t", "1"))])
    store.close()
    again = EmbeddedStore(path, model)
    assert again.get("handle:bassterlord", clearance=TLP.CLEAR).name == "Bassterlord"
    assert again.search("basster", clearance=TLP.CLEAR)[0].key == "handle:bassterlord"
    again.close()


def test_opening_the_file_again_keeps_an_open_index(tmp_path: Path, model: Model) -> None:
    """A running API holds the topology index; a CLI opening the same file must not make it rebuild."""
    path = tmp_path / "g.db"
    serving = EmbeddedStore(path, model)
    serving.upsert([make_node(model, "Actor", "handle", "Bassterlord", prov=Provenance.of("t", "1"))])
    index = serving.index
    EmbeddedStore(path, model).close()
    assert serving.index is index
    writer = EmbeddedStore(path, model)
    writer.upsert([make_node(model, "Actor", "handle", "Wazawaka", prov=Provenance.of("t", "2"))])
    writer.close()
    assert serving.index is not index and "handle:wazawaka" in serving.index
    serving.close()


def test_sigkill_mid_batch_leaves_whole_batches(tmp_path: Path, model: Model) -> None:
    path = tmp_path / "g.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("writing 2"):
            break
    time.sleep(0.05)  # inside the third batch's transaction
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    store = EmbeddedStore(path, model)
    total = store.stats(clearance=TLP.RED).as_dict()["total_nodes"]
    assert total % 5000 == 0 and total >= 10000, total
    assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert len(store.index) == total
    store.close()


def test_a_reader_sees_what_another_connection_committed(tmp_path: Path, model: Model) -> None:
    path = tmp_path / "g.db"
    reader, writer = EmbeddedStore(path, model), EmbeddedStore(path, model)
    prov = Provenance.of("t", "1")
    writer.upsert([make_node(model, "Actor", "handle", "first", prov=prov)])
    assert reader.stats(clearance=TLP.RED).as_dict()["total_nodes"] == 1
    a, b = (make_node(model, "Actor", "handle", name, prov=prov) for name in ("second", "third"))
    writer.upsert([a, b], [Edge("ASSOCIATES_WITH", a.key, b.key, prov)])
    # The reader's index was built before the writer's second batch: it notices and rebuilds.
    assert reader.stats(clearance=TLP.RED).as_dict()["total_nodes"] == 3
    assert len(reader.neighbourhood([a.key], clearance=TLP.RED).edges) == 1
    reader.close()
    writer.close()


def test_a_file_of_another_layout_is_refused_clearly(tmp_path: Path, model: Model) -> None:
    path = tmp_path / "old.db"
    EmbeddedStore(path, model).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    with pytest.raises(StoreError, match="another crimegraph version .* load the data again"):
        EmbeddedStore(path, model)
