"""The MISP galaxy loader on real cluster files, alone and together with ATT&CK."""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import ModuleType

import pytest

from graph_model.check import check_store
from graph_model.entities import Edge
from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from loaders import misp, stix
from loaders.ingest import IngestSummary, ingest
from loaders.misp_galaxies import galaxy_kind
from loaders.records import LoadContext, SourceError

RED = TLP.RED
EXCERPTS = {"threat-actor": 7, "tool": 7, "ransomware": 3, "botnet": 5, "malpedia": 5}
# Value counts per file, from shared/data/misp-galaxy/SOURCE.md.
GALAXIES = {"threat-actor": 1041, "ransomware": 2135, "tool": 608, "botnet": 148, "malpedia": 3683}
GC01, GC02 = "uuid:6bd7c91a-fdf5-11e8-95a8-e712ad4b0a9d", "uuid:6d50a8a2-fdf5-11e8-9db3-833f231caac8"
NAIKON, APT30 = "uuid:2f1fd017-9df6-4759-91fb-e7039609b5ff", "uuid:d3881afe-f781-4c53-9f68-33487a119a59"


def load(
    store: EmbeddedStore, path: Path, module: ModuleType = misp
) -> tuple[IngestSummary, list[dict[str, str]]]:
    rejects = io.StringIO()
    summary = ingest(store, module.read(path, LoadContext(store.model, path.stem)), rejects=rejects)
    return summary, [json.loads(line) for line in rejects.getvalue().splitlines()]


def linked(store: EmbeddedStore, key: str, edge_type: str) -> list[Edge]:
    return list(store.neighbourhood([key], clearance=RED, edge_types=[edge_type]).edges.values())


@pytest.mark.parametrize("galaxy", sorted(EXCERPTS))
def test_excerpt_loads_every_value_once(embedded_store: EmbeddedStore, fixtures: Path, galaxy: str) -> None:
    path = fixtures / "misp" / f"{galaxy}-excerpt.json"
    summary, rejects = load(embedded_store, path)
    assert rejects == [] and summary.read_by_kind == {galaxy: EXCERPTS[galaxy]}
    assert summary.store.nodes_new == EXCERPTS[galaxy]
    again, _ = load(embedded_store, path)
    assert (again.store.nodes_new, again.store.edges_new, again.rejected) == (0, 0, 0)


def test_actor_props_and_aliases(embedded_store: EmbeddedStore, fixtures: Path) -> None:
    load(embedded_store, fixtures / "misp" / "threat-actor-excerpt.json")
    apt1 = embedded_store.get("uuid:1cb7e1cc-d695-42b1-92f4-fd0112a3c9be", clearance=RED)
    assert (apt1.kind, apt1.type, apt1.props["country"], apt1.props["attack_id"]) == (
        "Actor",
        "group",
        "CN",
        "G0006",
    )
    assert {"COMMENT PANDA", "Comment Crew", "TG-8223"} <= set(apt1.props["aliases"])
    assert "G0006" not in apt1.props["aliases"] and "attack:G0006" in apt1.ids
    assert apt1.props["sponsor"] == "China" and apt1.props["attribution_confidence"] == 50
    assert "Government" in apt1.props["target_sectors"]


def test_attack_join_in_either_load_order(model: Model, fixtures: Path, tmp_path: Path) -> None:
    attack, actors = (
        fixtures / "stix" / "attack-excerpt.json",
        fixtures / "misp" / "threat-actor-excerpt.json",
    )
    totals = []
    for n, order in enumerate([[(stix, attack), (misp, actors)], [(misp, actors), (stix, attack)]]):
        store = EmbeddedStore(tmp_path / f"order{n}.db", model)
        for module, path in order:
            summary, _ = load(store, path, module)
            assert summary.rejected == 0
        for attack_id, name in (("G0007", "APT28"), ("G0006", "APT1")):
            node = store.get(f"attack:{attack_id}", clearance=RED)
            assert node.name == name and node.props["stix_id"] and node.props["misp_uuid"]
            assert {s.partition("#")[0] for s in node.prov.sources} == {
                "attack-excerpt",
                "threat-actor-excerpt",
            }
        totals.append(store.stats(clearance=RED).as_dict())
        store.close()
    assert totals[0] == totals[1]
    assert totals[0]["nodes"]["Actor"] == 9 + 7 - 2


def test_shared_attack_ids_are_candidates_not_merges(embedded_store: EmbeddedStore, fixtures: Path) -> None:
    load(embedded_store, fixtures / "stix" / "attack-excerpt.json", stix)
    load(embedded_store, fixtures / "misp" / "threat-actor-excerpt.json")
    attack_naikon = embedded_store.get("attack:G0019", clearance=RED)
    assert attack_naikon.key != embedded_store.get(NAIKON, clearance=RED).key  # Naikon claims G0019 and G0013
    attack_apt30 = embedded_store.get("attack:G0013", clearance=RED)
    candidates = {(e.source, e.target): e for e in linked(embedded_store, attack_apt30.key, "ALIAS_OF")}
    assert {(NAIKON, attack_apt30.key), (APT30, attack_apt30.key)} <= candidates.keys()
    assert candidates[NAIKON, attack_apt30.key].prov.confidence == 60
    assert candidates[NAIKON, attack_apt30.key].props["alias"] == "G0013"
    apt17 = "uuid:99e30d89-9361-4b73-a999-9e5ff9320bcb"
    assert {e.target for e in linked(embedded_store, apt17, "ALIAS_OF")} == set()  # G0025/G0001 not loaded
    assert embedded_store.pending_count() > 0


def test_an_actor_never_takes_a_software_attack_id(
    embedded_store: EmbeddedStore, fixtures: Path, tmp_path: Path
) -> None:
    galaxy = json.loads((fixtures / "misp" / "threat-actor-excerpt.json").read_text())
    apt30 = next(v for v in galaxy["values"] if v["value"] == "APT30")
    apt30["meta"]["synonyms"] = ["S0154"]  # Cobalt Strike's ATT&CK id, wrongly listed for an actor
    apt30["meta"]["name-attribution"] = []
    path = tmp_path / "threat-actor.json"
    path.write_text(json.dumps(galaxy))
    load(embedded_store, fixtures / "stix" / "attack-excerpt.json", stix)
    load(embedded_store, path)
    assert embedded_store.get("attack:S0154", clearance=RED).kind == "Malware"
    assert "attack:S0154" not in embedded_store.get(APT30, clearance=RED).ids


def test_alias_collision_and_symmetric_similarity(embedded_store: EmbeddedStore, fixtures: Path) -> None:
    load(embedded_store, fixtures / "misp" / "threat-actor-excerpt.json")
    assert embedded_store.get(GC01, clearance=RED).key != embedded_store.get(GC02, clearance=RED).key
    (alias,) = linked(embedded_store, GC01, "ALIAS_OF")
    assert (alias.source, alias.target, alias.props["alias"]) == (GC01, GC02, "Golden Chickens")
    assert alias.prov.confidence == 60
    (similar,) = linked(embedded_store, GC01, "SIMILAR_TO")
    assert (similar.source, similar.target, similar.props["relation"]) == (GC01, GC02, "similar")
    assert len(similar.prov.sources) == 2 and similar.prov.confidence == 70  # "likely"


def test_used_by_is_reversed_uses_with_likelihood(model: Model, fixtures: Path) -> None:
    ctx = LoadContext(model, "tool")
    records = {
        r.location.partition("#")[2]: r for r in misp.read(fixtures / "misp" / "tool-excerpt.json", ctx)
    }
    cobalt = records["97f26fab-af0e-4da9-b4c1-aec70cace22d"].items
    (uses,) = [e for e in cobalt if isinstance(e, Edge) and e.type == "USES"]
    assert (uses.source, uses.target) == (
        "uuid:6f7489f5-7edc-4693-b35a-44e79c969678",
        "uuid:97f26fab-af0e-4da9-b4c1-aec70cace22d",
    )
    (similar,) = [e for e in cobalt if isinstance(e, Edge) and e.type == "SIMILAR_TO"]
    assert similar.prov.confidence == 95  # "almost-certain"
    truebot = records["ad6d0074-476e-4c05-b0d9-79404f71bbba"].items
    assert not [e for e in truebot if isinstance(e, Edge) and e.type == "SIMILAR_TO"]  # similar to itself


def test_software_joins_by_name_and_malpedia_id(embedded_store: EmbeddedStore, fixtures: Path) -> None:
    load(embedded_store, fixtures / "misp" / "malpedia-excerpt.json")
    cloudeye = embedded_store.get("malpedia:win.cloudeye", clearance=RED)
    assert cloudeye.props["malpedia_id"] == "win.cloudeye" and "malpedia:win.guloader" not in cloudeye.ids
    load(embedded_store, fixtures / "misp" / "tool-excerpt.json")
    load(embedded_store, fixtures / "stix" / "attack-excerpt.json", stix)
    cobalt = embedded_store.get("software:cobalt strike", clearance=RED)
    assert embedded_store.get("malpedia:win.cobalt_strike", clearance=RED).key == cobalt.key
    assert embedded_store.get("attack:S0154", clearance=RED).key == cobalt.key
    assert {s.partition("#")[0] for s in cobalt.prov.sources} == {
        "malpedia-excerpt",
        "tool-excerpt",
        "attack-excerpt",
    }
    stration = embedded_store.get("malpedia:win.stration", clearance=RED)
    assert stration.key != embedded_store.get("malpedia:win.warezov", clearance=RED).key
    assert [e.props["alias"] for e in linked(embedded_store, stration.key, "ALIAS_OF")] == ["Stration"]


def test_variants_keep_the_word(embedded_store: EmbeddedStore, fixtures: Path) -> None:
    summary, _ = load(embedded_store, fixtures / "misp" / "botnet-excerpt.json")
    mirai = embedded_store.get("software:mirai", clearance=RED)
    variants = linked(embedded_store, mirai.key, "VARIANT_OF")
    assert {e.props["relation"] for e in variants} == {"variant-of"} and len(variants) == 4
    assert summary.store.edges_pending > 0 and embedded_store.pending_count() == summary.store.edges_pending


def test_damaged_file_keeps_the_values_before(
    embedded_store: EmbeddedStore, fixtures: Path, tmp_path: Path
) -> None:
    text = (fixtures / "misp" / "ransomware-excerpt.json").read_text()
    path = tmp_path / "ransomware.json"
    path.write_text(text[: text.index('"value": "MM Locker"')])
    summary, rejects = load(embedded_store, path)
    assert summary.read_by_kind == {"ransomware": 2} and summary.rejected == 1
    assert rejects[0]["location"].startswith("ransomware.json:") and "invalid JSON" in rejects[0]["reason"]
    assert embedded_store.get("software:booyah", clearance=RED).name == "Booyah"


def test_not_a_galaxy_cluster_file(model: Model, tmp_path: Path) -> None:
    ctx = LoadContext(model, "x")
    (tmp_path / "no-values.json").write_text(json.dumps({"type": "sector", "name": "Sector"}))
    (tmp_path / "bundle.json").write_text(json.dumps([{"type": "bundle"}]))
    for name in ("no-values.json", "bundle.json", "missing.json"):
        with pytest.raises(SourceError):
            list(misp.read(tmp_path / name, ctx))


@pytest.mark.realdata
@pytest.mark.parametrize("galaxy", sorted(GALAXIES))
def test_galaxy_file(embedded_store: EmbeddedStore, shared_data: Path, galaxy: str) -> None:
    path = shared_data / "misp-galaxy" / f"{galaxy}.json"
    summary, rejects = load(embedded_store, path)
    assert rejects == [] and summary.read_by_kind == {galaxy: GALAXIES[galaxy]}
    # Values sharing a name within one file stay apart; none does in these files.
    assert summary.store.nodes_new == GALAXIES[galaxy]
    again, _ = load(embedded_store, path)
    assert (again.store.nodes_new, again.store.edges_new, again.rejected) == (0, 0, 0)


@pytest.mark.realdata
def test_attack_and_threat_actors_in_either_order(model: Model, shared_data: Path, tmp_path: Path) -> None:
    attack = shared_data / "attack-enterprise-groups.stix.json"
    actors = shared_data / "misp-galaxy" / "threat-actor.json"
    totals = []
    for n, order in enumerate([[(stix, attack), (misp, actors)], [(misp, actors), (stix, attack)]]):
        store = EmbeddedStore(tmp_path / f"order{n}.db", model)
        for module, path in order:
            assert load(store, path, module)[0].rejected == 0
        for attack_id in ("G0007", "G0006"):
            node = store.get(f"attack:{attack_id}", clearance=RED)
            datasets = {s.partition("#")[0] for s in node.prov.sources}
            assert datasets == {"attack-enterprise-groups.stix", "threat-actor"}
        assert store.pending_count() > 0  # links into galaxies not loaded wait, they do not fail
        totals.append((store.stats(clearance=RED).as_dict(), store.pending_count()))
        store.close()
    assert totals[0] == totals[1]
    actors_total = totals[0][0]["nodes"]["Actor"]
    assert 187 + 1041 - 100 < actors_total < 187 + 1041  # some joins by ATT&CK id, no collapse


# Galaxy type -> the kind/type its values become (tests/fixtures/misp/galaxies, written in MISP's format).
OTHER_GALAXIES = {
    "rat": "Malware/malware",
    "stealer": "Malware/malware",
    "exploit-kit": "Malware/malware",
    "backdoor": "Malware/malware",
    "mitre-intrusion-set": "Actor/group",
    "mitre-ics-techniques": "Technique/attack-pattern",
    "mitre-course-of-action": "Mitigation/course-of-action",
    "sector": "Identity/sector",
    "country": "Location/country",
    "firearms": "Concept/galaxy-value",  # no entry in the table: the default
}


@pytest.mark.parametrize("galaxy", sorted(OTHER_GALAXIES))
def test_every_galaxy_type_loads(embedded_store: EmbeddedStore, fixtures: Path, galaxy: str) -> None:
    path = fixtures / "misp" / "galaxies" / f"{galaxy}.json"
    summary, rejects = load(embedded_store, path)
    values = json.loads(path.read_text())["values"]
    assert rejects == [] and summary.read == summary.store.nodes_new == len(values)
    graph = embedded_store.subgraph(clearance=RED)
    assert {f"{a['kind']}/{a['type']}" for _, a in graph.nodes(data=True)} == {OTHER_GALAXIES[galaxy]}
    assert check_store(embedded_store).violations == 0


@pytest.mark.parametrize("galaxy", sorted(GALAXIES))
def test_the_five_real_galaxies_keep_their_kinds(galaxy: str) -> None:
    assert galaxy_kind(galaxy) == {"threat-actor": ("Actor", "group"), "tool": ("Malware", "tool")}.get(
        galaxy, ("Malware", "malware")
    )


def test_galaxy_table_patterns_and_default() -> None:
    assert galaxy_kind("mitre-mobile-attack-intrusion-set") == ("Actor", "group")
    assert galaxy_kind("mitre-entreprise-attack-malware") == ("Malware", "malware")
    assert galaxy_kind("mitre-enterprise-attack-tool") == ("Malware", "tool")
    assert galaxy_kind("mitre-pre-attack-attack-pattern") == ("Technique", "attack-pattern")
    assert galaxy_kind("mitre-mobile-attack-course-of-action") == ("Mitigation", "course-of-action")
    assert galaxy_kind("election-guidelines") == ("Concept", "galaxy-value")


def test_mitre_galaxies_join_attack_by_uuid_and_attack_id(
    embedded_store: EmbeddedStore, fixtures: Path
) -> None:
    load(embedded_store, fixtures / "stix" / "attack-excerpt.json", stix)
    summary, _ = load(embedded_store, fixtures / "misp" / "galaxies" / "mitre-intrusion-set.json")
    apt28 = embedded_store.get("attack:G0007", clearance=RED)
    assert apt28.key == "uuid:bef4c620-0787-42a8-a96d-b7eb6e85917c"  # the same uuid: one node
    assert apt28.name == "APT28" and {s.split("#")[0] for s in apt28.prov.sources} == {
        "attack-excerpt",
        "mitre-intrusion-set",
    }
    sandworm = embedded_store.get("attack:G0034", clearance=RED)  # by its ATT&CK id alone
    assert sandworm.name == "Sandworm Team" and sandworm.props["attack_id"] == "G0034"
    # Sandworm "uses" APT28 in the file: an actor cannot USE an actor, the word is kept on RELATED_TO.
    related = linked(embedded_store, sandworm.key, "RELATED_TO")
    assert [(e.target, e.props["relation"]) for e in related] == [(apt28.key, "uses")]
    assert check_store(embedded_store).violations == 0


def test_a_stix_bundle_given_as_misp_galaxy_cannot_be_read(fixtures: Path, model: Model) -> None:
    with pytest.raises(SourceError, match="not a MISP galaxy cluster file"):
        list(misp.read(fixtures / "stix" / "attack-excerpt.json", LoadContext(model, "x")))
