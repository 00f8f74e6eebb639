"""Granular markings written back out: a property that only sources above an object's lowest level state
is marked at its level (``granular_markings``, STIX 2.1 section 7.2.3), so load -> export -> load keeps what
each clearance sees, property by property; an export below a level leaves out what is above it."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from backend.export import misp, stix
from backend.export.graph import export_graph
from backend.export.stix_objects import TLP2
from graph_model.entities import Edge, Node, make_node
from graph_model.model import Model
from graph_model.provenance import TLP, Provenance
from graph_model.store import GraphStore
from graph_model.store.embedded import EmbeddedStore
from loaders import LoadContext, ingest, reader
from queries.scope import Scope
from tests.backend.export.stix_check import stix_errors

INDICATOR = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
MALWARE = "malware--fdd60b30-b67c-41e3-b0b9-f01faf20d111"
LEVEL = {marking_id: level for level, (marking_id, _) in TLP2.items()}
# Which of a view's fields a round trip must keep per level (its record and dates are the load's own).
FACTS = ("kind", "type", "name", "tlp")
OWN = frozenset({"sources", "date_added", "stated", "marked", "first_seen", "last_seen", "confidence"})
OWN |= {"created", "modified"}


def seen(store: GraphStore, clearance: TLP) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a reader at ``clearance`` sees: each node's and edge's fields, without the load's own record."""
    graph = store.subgraph(clearance=clearance)
    nodes = {k: {a: v for a, v in d.items() if a not in OWN} for k, d in graph.nodes(data=True)}
    edges = {
        k: {"ends": (u, v), **{a: x for a, x in d.items() if a not in OWN}}
        for u, v, k, d in graph.edges(keys=True, data=True)
    }
    return nodes, edges


def round_trip(store: GraphStore, model: Model, folder: Path, clearance: TLP = TLP.RED) -> dict[str, Any]:
    """Export ``store`` at ``clearance``, load the file into a fresh store, and check that every clearance
    up to it sees the same nodes and edges, field by field, in both; the bundle."""
    path = folder / f"export-{clearance.name}.json"
    path.write_bytes(stix.dumps(export_graph(store, clearance, Scope())))
    again = EmbeddedStore(folder / f"again-{clearance.name}.db", model)
    summary = ingest(again, reader("stix")(path, LoadContext(model, "partner", tlp=TLP.CLEAR)))
    assert summary.rejected == 0
    # An indicator whose pattern is above the export's clearance is no STIX indicator: left out.
    exported = seen(store, clearance)[0]
    left_out = {k for k, v in exported.items() if v["kind"] == "Indicator" and "pattern" not in v}
    for level in TLP:
        if level <= clearance:
            (nodes, edges), (before, links) = seen(again, level), seen(store, level)
            assert nodes == {k: v for k, v in before.items() if k not in left_out}, level.label
            assert edges == {k: v for k, v in links.items() if not set(v["ends"]) & left_out}, level.label
        # Dates and confidence are the object's: a reader below the statements that give them gets none
        # of theirs (``first_seen`` .. ``last_seen`` may narrow, the confidence may be the load's default).
        for key, attrs in again.subgraph(clearance=level).nodes(data=True):
            before = store.subgraph(clearance=min(level, clearance)).nodes[key]
            shown = {before.get(n) for n in ("first_seen", "last_seen", "created", "modified")} | {None}
            for name in ("first_seen", "last_seen", "created", "modified"):
                assert attrs.get(name) in shown, (key, name)  # (last seen defaults to first seen)
            assert attrs["confidence"] in (before["confidence"], 50), key  # (the load's default)
    again.close()
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def granular(data: dict[str, Any], stix_id: str) -> tuple[TLP, dict[str, TLP]]:
    """An object's whole-object level and each granular selector's level."""
    obj = next(o for o in data["objects"] if o["id"] == stix_id)
    (whole,) = [r for r in obj["object_marking_refs"] if r in LEVEL]  # (beside it: a statement marking)
    marks = {
        s: LEVEL[g["marking_ref"]]
        for g in obj.get("granular_markings", ())
        if g.get("marking_ref") in LEVEL
        for s in g["selectors"]
    }
    return LEVEL[whole], marks


def test_the_oasis_granular_marking_example_comes_back_per_property(
    model: Model, fixtures: Path, tmp_path: Path
) -> None:
    store = EmbeddedStore(tmp_path / "first.db", model)
    path = fixtures / "stix" / "granular-markings.json"
    assert ingest(store, reader("stix")(path, LoadContext(model, "oasis"))).rejected == 0
    data = round_trip(store, model, tmp_path)
    assert stix_errors(data)[0] == []
    level, marks = granular(data, INDICATOR)
    assert level is TLP.CLEAR  # marked as the source marked it: CLEAR as a whole...
    # ... its description and second indicator type AMBER (sorted first), its name and pattern RED
    assert {s: m for s, m in marks.items() if not s.startswith("x_crimegraph_")} == {
        "description": TLP.AMBER,
        "indicator_types.[0]": TLP.AMBER,
        "name": TLP.RED,
        "pattern": TLP.RED,
    }
    # The copyright statement marking stays beside the TLP one, its definition as the source wrote it.
    source = json.loads(path.read_text())["objects"][0]
    assert source["definition_type"] == "statement"
    made = {o["id"]: o for o in data["objects"]}
    assert made[INDICATOR]["object_marking_refs"][1:] == [source["id"]]
    assert made[source["id"]] == source
    level, marks = granular(data, MALWARE)
    assert level is TLP.CLEAR and marks["aliases.[0]"] is TLP.RED  # "Breut", the second alias
    assert next(o for o in data["objects"] if o["id"] == MALWARE)["aliases"][0] == "Breut"
    # Below each level the export leaves out what is above it: no value, no marking it is not cleared for.
    for clearance in (TLP.CLEAR, TLP.GREEN, TLP.AMBER):
        data = round_trip(store, model, tmp_path, clearance)
        text = json.dumps(data)
        # (below RED the indicator, whose pattern is RED, is left out, its AMBER description with it)
        for secret in ("Poison Ivy Malware", "91.219.29.81", "Breut", "part of Poison Ivy"):
            assert secret not in text
        for obj in data["objects"]:
            used = [
                *obj.get("object_marking_refs", ()),
                *(g.get("marking_ref") for g in obj.get("granular_markings", ())),
            ]
            assert all(LEVEL[ref] <= clearance for ref in used if ref in LEVEL)
        assert stix_errors(data)[0] == []
    store.close()


def _statements(model: Model, seed: int) -> tuple[list[Node], list[Edge]]:
    """Wallets, groups and transfers each stated by one to four sources at random levels, each source
    stating some of the thing's properties (every source that states a property states the same value)."""
    rng = random.Random(seed)
    nodes: list[Node] = []
    edges: list[Edge] = []
    levels = [TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.RED]
    wallets = [f"bc1qgranular{i:028d}" for i in range(24)]
    for i, address in enumerate(wallets):
        values = {
            "service": f"Service {i}",
            "service_type": rng.choice(["exchange", "mixer", "gambling"]),
            "aliases": [f"w{i}-a", f"w{i}-b", f"w{i}-c"],
            "families": [f"family {i % 5}"],
        }
        for s in range(rng.randint(1, 4)):
            level = rng.choice(levels)
            prov = Provenance.of(
                f"src{s}",
                address,
                tlp=level,
                confidence=rng.choice([40, 60, 80]),
                first_seen=f"2024-0{s + 1}-01",
            )
            chosen = {k: v for k, v in values.items() if rng.random() < 0.5}
            if "aliases" in chosen:
                chosen["aliases"] = rng.sample(values["aliases"], rng.randint(1, 3))
            nodes.append(make_node(model, "Wallet", "btc", address, prov=prov, props=chosen))
    for i in range(8):
        name = f"Granular Group {i}"
        for s in range(rng.randint(1, 3)):
            props = {"description": f"what src{s} says of group {i}"} if s == 0 else {"country": "RU"}
            prov = Provenance.of(f"src{s}", name, tlp=rng.choice(levels))
            nodes.append(make_node(model, "Actor", "group", name, prov=prov, props=props))
        owned = make_node(model, "Wallet", "btc", wallets[i], prov=Provenance.of("src0", "x"))
        edges.append(
            Edge("OWNS", nodes[-1].key, owned.key, Provenance.of("src0", f"o{i}", tlp=rng.choice(levels)))
        )
    for i in range(30):
        a, b = rng.sample(wallets, 2)
        source = make_node(model, "Wallet", "btc", a, prov=Provenance.of("src0", "x")).key
        target = make_node(model, "Wallet", "btc", b, prov=Provenance.of("src0", "x")).key
        values = {
            "amount": float(i + 1),
            "asset": "BTC",
            "tx_id": f"tx{i:04d}",
            "time": "2024-05-01T10:00:00Z",
        }
        for s in range(rng.randint(1, 3)):
            props = {k: v for k, v in values.items() if rng.random() < 0.6}
            prov = Provenance.of(f"src{s}", f"t{i}", tlp=rng.choice(levels), first_seen="2024-05-01")
            edges.append(Edge("TRANSFERRED", source, target, prov, props, f"tx{i:04d}:0"))
    return nodes, edges


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_statements_at_several_levels_come_back_per_property(
    model: Model, tmp_path: Path, seed: int
) -> None:
    store = EmbeddedStore(tmp_path / "first.db", model)
    nodes, edges = _statements(model, seed)
    store.upsert(nodes, edges)
    data = round_trip(store, model, tmp_path)
    assert any("granular_markings" in o for o in data["objects"] if o["type"] == "relationship")
    assert any("granular_markings" in o for o in data["objects"] if o["type"] == "x-crimegraph-wallet")
    assert stix_errors(data)[0] == []
    for clearance in (TLP.CLEAR, TLP.GREEN):
        data = round_trip(store, model, tmp_path, clearance)
        for obj in data["objects"]:
            used = [
                *obj.get("object_marking_refs", ()),
                *(g.get("marking_ref") for g in obj.get("granular_markings", ())),
            ]
            assert all(LEVEL[ref] <= clearance for ref in used if ref in LEVEL)
    store.close()


def test_misp_tags_each_attribute_at_the_level_of_what_it_says(
    model: Model, fixtures: Path, tmp_path: Path
) -> None:
    """MISP has a tag per attribute: a name only RED sources give is tagged RED in an object that is CLEAR."""
    store = EmbeddedStore(tmp_path / "first.db", model)
    path = fixtures / "stix" / "granular-markings.json"
    assert ingest(store, reader("stix")(path, LoadContext(model, "oasis"))).rejected == 0
    made = misp.event(export_graph(store, TLP.RED, Scope()), TLP.RED)
    tags = {
        (obj.comment.removeprefix("crimegraph key: "), a.object_relation): [t.name for t in a.tags]
        for obj in made.objects
        for a in obj.attributes
    }
    key = f"stix:{INDICATOR}"
    assert tags[(key, "identifier")] == ["tlp:clear"]
    assert tags[(key, "comment")] == ["tlp:red"]  # "Poison Ivy Malware", the name only RED sources give
    assert tags[(f"uuid:{MALWARE.partition('--')[2]}", "name")] == ["tlp:clear"]
    assert [t.name for t in made.tags] == ["tlp:red"]
    store.close()
