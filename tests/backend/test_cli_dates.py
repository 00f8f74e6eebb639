"""The CLI's time windows leave undated links out unless --include-undated (one global option for every
command taking --since/--until)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from graph_model.entities import Edge, make_node
from graph_model.model import Model
from graph_model.provenance import Provenance
from graph_model.store.embedded import EmbeddedStore


def _export(db: Path, out: Path, *flags: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "backend", "--store", f"embedded:{db}", *flags, "export", "graphml"]
        + ["-o", str(out), "--since", "2020-01-01", "--json"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_export_windows_leave_undated_links_out_unless_asked(model: Model, tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "graph.db", model)
    wallets = [
        make_node(
            model, "Wallet", "btc", f"bc1qclidates{i}xxxxxxxxxxxxxxxxxxxxxx", prov=Provenance.of("c", str(i))
        )
        for i in range(3)
    ]
    a, b, c = (w.key for w in wallets)
    store.upsert(
        wallets,
        [
            Edge("TRANSFERRED", a, b, Provenance.of("c", "t1", first_seen="2021-05-01"), {}, "t1"),
            Edge("TRANSFERRED", a, c, Provenance.of("c", "t2"), {}, "t2"),
        ],
    )
    store.close()
    assert _export(tmp_path / "graph.db", tmp_path / "narrow.graphml")["edges"] == 1
    assert _export(tmp_path / "graph.db", tmp_path / "wide.graphml", "--include-undated")["edges"] == 2
