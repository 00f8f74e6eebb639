"""Same-person candidates on generated ecosystems with planted truth, on both stores."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from graph_model.entities import Edge, make_node
from graph_model.errors import InvalidArgument
from graph_model.model import Model
from graph_model.provenance import TLP, Provenance
from graph_model.store import GraphStore
from graph_model.store.embedded import EmbeddedStore
from loaders import LoadContext, ingest
from loaders.csv_tables import read
from loaders.generate import generate
from queries.identify.candidates import DEFAULT_MIN_SCORE, Identification, identify
from queries.identify.decisions import decide
from queries.identify.profile import read_profiles

ROOT = Path(__file__).resolve().parents[3]


# Generated tables no signal reads (money flows, the groups' infrastructure, generic edges): most of the
# rows, left out to keep the tests quick.
UNREAD = frozenset({"transactions.csv", "infrastructure.csv", "edges.csv"})


def _load(store: GraphStore, model: Model, folder: Path) -> None:
    """The generated tables the signals read."""
    ctx = LoadContext(model, "synthetic")
    for path in sorted(folder.glob("*.csv")):
        if path.name not in UNREAD:
            ingest(store, read(path, ctx))


def planted_pairs(truth: dict[str, Any]) -> set[tuple[str, str]]:
    """Every same-person pair the generator planted (all pairs inside each group)."""
    pairs: set[tuple[str, str]] = set()
    for group in truth["identities"]["groups"]:
        pairs.update(itertools.combinations(sorted(group["members"]), 2))
    return pairs


def clustered_pairs(groups: list[list[str]]) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for members in groups:
        pairs.update(itertools.combinations(sorted(members), 2))
    return pairs


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, model: Model) -> tuple[Path, dict[str, Any]]:
    """The demo's ecosystem (``crimegraph demo``: 300 actors, seed 7, standard identities), loaded."""
    folder = tmp_path_factory.mktemp("demo")
    generate(folder, 300, 7, identities="standard")
    path = folder / "demo.db"
    store = EmbeddedStore(path, model)
    try:
        _load(store, model, folder)
    finally:
        store.close()
    return path, json.loads((folder / "truth.json").read_text())


@pytest.fixture(scope="module")
def demo_found(demo: tuple[Path, dict[str, Any]], model: Model) -> tuple[Identification, Identification]:
    """Candidates on the demo, asked twice."""
    with EmbeddedStore(demo[0], model) as store:
        return identify(store, TLP.RED), identify(store, TLP.RED)


def test_precision_and_recall_on_the_demos_planted_pairs(
    demo: tuple[Path, dict[str, Any]], demo_found: tuple[Identification, Identification]
) -> None:
    truth = demo[1]
    found, again = demo_found
    assert found.as_dict() == again.as_dict()  # seeded: the same data gives the same candidates
    planted = planted_pairs(truth)
    proposed = clustered_pairs(found.groups)
    hits = len(proposed & planted)
    precision, recall = hits / len(proposed), hits / len(planted)
    assert len(planted) >= 60
    assert precision >= 0.9 and recall >= 0.8, (precision, recall)
    # Blocking: far fewer pairs compared than all pairs.
    assert found.compared < found.all_pairs / 50
    # Every candidate is explained, strongest evidence first, and ordered by score.
    scores = [c.score for c in found.candidates]
    assert scores == sorted(scores, reverse=True) and min(scores) >= DEFAULT_MIN_SCORE
    for c in found.candidates:
        weights = [e.weight for e in c.evidence]
        assert weights == sorted(weights, reverse=True) and weights[0] > 0


class IndexedStore(EmbeddedStore):
    """The embedded store reading as identify did before its targeted read: every node and edge through
    the in-memory index of the whole graph (:meth:`GraphStore.scan` over the index-backed ``_scan``)."""

    scan = GraphStore.scan


def test_the_targeted_read_gives_the_same_profiles_and_candidates(
    demo: tuple[Path, dict[str, Any]], demo_found: tuple[Identification, Identification], model: Model
) -> None:
    """The embedded store's targeted scan (only the kinds and edge types the signals read, from the
    tables) gives exactly what the read through the whole graph's index gave: the same profiles at every
    clearance, the same candidates with the same scores and evidence."""
    with IndexedStore(demo[0], model) as indexed, EmbeddedStore(demo[0], model) as targeted:
        for clearance in (TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.RED):
            before = read_profiles(indexed, clearance)
            after = read_profiles(targeted, clearance)
            assert after == before, clearance
        assert targeted._index is None  # never built the whole graph's index
        assert len(before) > 300
        assert identify(indexed, TLP.RED).as_dict() == demo_found[0].as_dict()


def test_decoys_are_not_proposed(
    demo: tuple[Path, dict[str, Any]], demo_found: tuple[Identification, Identification]
) -> None:
    truth = demo[1]
    found = demo_found[0]
    pairs = {c.pair for c in found.candidates}
    decoys = truth["identities"]["decoys"]
    # Handles listing the same exchange deposit address: never a candidate for it.
    for c in found.candidates:
        for e in c.evidence:
            if e.signal == "wallet" and e.weight > 0:
                assert not any(w.split(":", 1)[-1] in e.detail for w in decoys["exchange_deposit_wallets"])
            if e.signal == "contact" and e.weight > 0:
                assert "escrow@exploit.im" not in e.detail
    # Common handles (admin, admin_, adm1n ...) are different people.
    for family in decoys["common_handle_families"]:
        assert not {tuple(sorted(p)) for p in itertools.combinations(family, 2)} & pairs
    # Handles that went quiet when a forum closed, with nobody after them: seldom given a successor.
    quiet = set(decoys["quiet_without_successor"])
    proposed = {k for c in found.candidates for k in c.pair} & quiet
    assert len(proposed) <= max(1, len(quiet) // 5), proposed


def test_cli_json_shape_and_write(small: Path, tmp_path: Path, model: Model) -> None:
    copy = tmp_path / "small.db"
    with EmbeddedStore(copy, model) as store:
        _load(store, model, small)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable,
        "-m",
        "backend",
        "--store",
        f"embedded:{copy}",
        "identify",
        "--json",
        "--top",
        "5",
    ]
    done = subprocess.run([*command, "--write"], capture_output=True, text=True, env=env, check=True)
    data = json.loads(done.stdout)
    assert len(data["candidates"]) == 5 and data["written"] == 5
    first = data["candidates"][0]
    assert set(first["a"]) == {"key", "name", "kind"} and 0 <= first["score"] <= 1
    assert {"signal", "detail", "weight"} == set(first["evidence"][0])
    assert data["pairs_compared"] < data["all_pairs"]
    with EmbeddedStore(copy, model) as store:
        written = store.subgraph(clearance=TLP.RED, edge_types=["SAME_PERSON_CANDIDATE"])
        assert written.number_of_edges() == 5
        # Unconfirmed candidates are in no edge set but `identity`: not social, underground or "all".
        for edge_set in ("social", "underground", "operational"):
            assert "SAME_PERSON_CANDIDATE" not in store.model.edge_types(edge_set)
        assert "SAME_PERSON_CANDIDATE" not in store.model.edge_types()
        assert "SAME_PERSON_CANDIDATE" in store.model.edge_types("identity")
    bad = subprocess.run([*command[:-2], "--min-score", "2"], capture_output=True, text=True, env=env)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("small")
    generate(folder, 50, 5, identities="standard")
    return folder


def test_an_amber_wallet_never_raises_a_green_callers_score(
    store: GraphStore, model: Model, small: Path
) -> None:
    _load(store, model, small)
    truth = json.loads((small / "truth.json").read_text())
    planted = planted_pairs(truth)
    before = identify(store, TLP.GREEN, min_score=0.0)
    # Two handles that are not one person, and no candidate yet; an AMBER report says both own one wallet.
    x, y = next(
        p
        for p in itertools.combinations(
            sorted({m for g in truth["identities"]["groups"] for m in g["members"]}), 2
        )
        if p not in planted and p not in {c.pair for c in before.candidates}
    )
    amber = Provenance.of("amber-report", "1", tlp=TLP.AMBER)
    wallet = make_node(model, "Wallet", "btc", "bc1qambertestwallet000000000000000000000", prov=amber)
    store.upsert(
        nodes=[wallet], edges=[Edge("OWNS", x, wallet.key, amber), Edge("OWNS", y, wallet.key, amber)]
    )
    green = identify(store, TLP.GREEN, min_score=0.0)
    assert green.as_dict() == before.as_dict()  # nothing AMBER reaches a GREEN caller's scores
    cleared = identify(store, TLP.AMBER, min_score=0.0)
    pair = next(c for c in cleared.candidates if c.pair == (x, y))
    assert pair.marking == TLP.AMBER
    assert any(e.signal == "wallet" and e.weight > 0 for e in pair.evidence)


def test_decisions_are_honoured_across_runs(small: Path, model: Model, tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "d.db", model) as store:
        _load(store, model, small)
        first = identify(store, TLP.RED)
        rejected, confirmed = first.candidates[0], first.candidates[1]
        record = decide(store, TLP.RED, rejected.a.key, rejected.b.key, "rejected", analyst="alice")
        assert record["analyst"] == "alice" and record["at"] and record["evidence"]
        decide(store, TLP.RED, confirmed.b.key, confirmed.a.key, "confirmed", analyst="bob")
        again = identify(store, TLP.RED)
        pairs = {c.pair: c for c in again.candidates}
        assert rejected.pair not in pairs  # not proposed again
        assert pairs[confirmed.pair].status == "confirmed"
        alias = store.subgraph(clearance=TLP.RED, edge_set="social").get_edge_data(*confirmed.pair) or {}
        assert [d["relation"] for d in alias.values() if d["type"] == "ALIAS_OF"] == ["same person"]
        # New evidence on the rejected pair: a contact only the two of them give.
        tag = "tox_ids"
        nodes = [
            make_node(
                model,
                "Actor",
                "handle",
                p.name,
                prov=Provenance.of("later", p.name),
                props={tag: ["ab" * 38]},
            )
            for p in (rejected.a, rejected.b)
        ]
        store.upsert(nodes=nodes)
        later = {c.pair: c for c in identify(store, TLP.RED).candidates}
        assert later[rejected.pair].status == "new evidence since rejected"
        with pytest.raises(InvalidArgument):
            decide(store, TLP.RED, rejected.a.key, rejected.a.key, "rejected", analyst="alice")
