"""``crimegraph communities``: the same communities and ids for the same data, whatever order it was loaded
in; GraphQL ``communities`` gives the same."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from backend.api.app import create_app
from backend.api.server import background
from backend.settings import Settings
from graph_model.model import Model
from graph_model.store.embedded import EmbeddedStore
from loaders import LoadContext, ingest, reader
from loaders.generate import generate
from tests.backend.test_cli import crimegraph

KEY = "communities-key-0123456789"


def _load(tables: list[Path], db: Path, model: Model) -> None:
    store = EmbeddedStore(db, model)
    try:
        for table in tables:
            ingest(store, reader("csv")(table, LoadContext(store.model, "demo")))
    finally:
        store.close()


def test_ids_are_stable_across_load_orders_and_match_graphql(tmp_path: Path, model: Model) -> None:
    report = generate(tmp_path / "tables", 60, 11)
    tables = list(report.tables)
    _load(tables, tmp_path / "a.db", model)
    _load(list(reversed(tables)), tmp_path / "b.db", model)
    listed = []
    for name in ("a.db", "b.db"):
        result = crimegraph(
            "--store", f"embedded:{tmp_path / name}", "communities", "--json", "--limit", "500"
        )
        assert result.returncode == 0, result.stderr
        assert "read at clearance TLP:RED" in result.stderr
        listed.append(json.loads(result.stdout)["communities"])
    first, second = listed
    assert len(first) > 3
    assert [(c["id"], c["size"], [n["key"] for n in c["top"]]) for c in first] == [
        (c["id"], c["size"], [n["key"] for n in c["top"]]) for c in second
    ]
    assert all(
        c["size"] >= 2 and 1 <= len(c["top"]) <= 5 and sum(c["kinds"].values()) == c["size"] for c in first
    )
    table = crimegraph("--store", f"embedded:{tmp_path / 'a.db'}", "communities", "--limit", "3")
    assert table.returncode == 0 and "best-linked members" in table.stdout

    store = EmbeddedStore(tmp_path / "a.db", model)
    try:
        with background(create_app(Settings(api_keys=f"{KEY}:analyst:RED"), store=store)) as base:
            query = "{ communities(first: 200) { edges { node { id size topMembers { key } } } } }"
            answer = httpx.post(
                f"{base}/graphql",
                json={"query": query},
                headers={"Authorization": f"Bearer {KEY}"},
                timeout=60,
            ).json()
    finally:
        store.close()
    nodes = [e["node"] for e in answer["data"]["communities"]["edges"]]
    assert [(n["id"], n["size"], [m["key"] for m in n["topMembers"]]) for n in nodes] == [
        (c["id"], c["size"], [n["key"] for n in c["top"]]) for c in first
    ][: len(nodes)]
    bad = crimegraph("--store", f"embedded:{tmp_path / 'a.db'}", "communities", "--kind", "Nope")
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "Nope" in bad.stderr
