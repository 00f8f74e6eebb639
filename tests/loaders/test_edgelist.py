"""Networks as Actors and ties: the counts of BASELINES.md and each SOURCE.md after undirected dedup."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from loaders.records import SourceError
from tests.loaders.loading import edge_types, kinds, load, nothing_new, undirected_pairs


def _ties(store: EmbeddedStore) -> int:
    """Undirected ties: ASSOCIATES_WITH pairs plus MEMBER_OF (two-mode) pairs."""
    return undirected_pairs(store, "ASSOCIATES_WITH") + undirected_pairs(store, "MEMBER_OF")


def _actors(store: EmbeddedStore) -> int:
    return store.stats(clearance=TLP.RED).nodes.get("Actor", 0)


@pytest.mark.parametrize(
    ("name", "nodes", "ties"),
    [
        ("911.txt", 62, 159),
        ("BenchmarkNetwork.txt", 83, 774),
        ("covert_2__00__9_11_HIJACKERS_ASSOCIATES__edges.csv", 60, 125),
        ("covert_1__03__17NOV_GREECE_2MODE__edges.csv", 30, 52),
        ("covert_16__00__DOMESTICTERRORWEB__edges.csv", 32, 49),
        ("morselli_cielnet.csv", 25, 35),
        ("LONDON_GANG.csv", 54, 315),
    ],
)
def test_fixture_networks(
    fixtures: Path, embedded_store: EmbeddedStore, name: str, nodes: int, ties: int
) -> None:
    path = fixtures / "networks" / name
    summary = load(embedded_store, "edgelist", path, path.stem)
    assert summary.rejected == 0
    assert (_actors(embedded_store), _ties(embedded_store)) == (nodes, ties)
    assert embedded_store.pending_count() == 0
    assert nothing_new(load(embedded_store, "edgelist", path, path.stem))


def test_names_values_and_self_loops(fixtures: Path, embedded_store: EmbeddedStore) -> None:
    path = fixtures / "networks" / "covert_2__00__9_11_HIJACKERS_ASSOCIATES__edges.csv"
    summary = load(embedded_store, "edgelist", path, "covert_2__00__9_11_HIJACKERS_ASSOCIATES")
    assert summary.read_by_kind == {"vertex": 60, "tie": 125, "self-loop": 1}
    atta = embedded_store.search("Mohamed Atta", clearance=TLP.RED)[0]
    assert (atta.kind, atta.type, atta.key) == (
        "Actor",
        "person",
        "person:covert_2__00__9_11_hijackers_associates/14",
    )


def test_two_mode_network_is_membership(fixtures: Path, embedded_store: EmbeddedStore) -> None:
    load(
        embedded_store,
        "edgelist",
        fixtures / "networks" / "covert_1__03__17NOV_GREECE_2MODE__edges.csv",
        "greece",
    )
    assert kinds(embedded_store) == {"Actor/person": 18, "Actor/group": 12}
    assert edge_types(embedded_store) == {"MEMBER_OF": 52}


def test_matrix_symmetrised_with_the_larger_value(fixtures: Path, embedded_store: EmbeddedStore) -> None:
    load(embedded_store, "edgelist", fixtures / "networks" / "morselli_cielnet.csv", "cielnet")
    # N1->N2 is 17 and N2->N1 is 21: one tie of weight 21.
    n1 = embedded_store.get("person:cielnet/morselli_cielnet/n1", clearance=TLP.RED)
    ties = embedded_store.neighbourhood([n1.key], clearance=TLP.RED).edges.values()
    tie = next(e for e in ties if "person:cielnet/morselli_cielnet/n2" in (e.source, e.target))
    assert tie.props == {"weight": 21.0}
    assert n1.name == "N1"


def test_reciprocal_rows_merge_and_networks_stay_apart(tmp_path: Path, embedded_store: EmbeddedStore) -> None:
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("% sym unweighted\n1 2\n2 1\n2 3\n", encoding="utf-8")
    second.write_text("1 2\n", encoding="utf-8")
    load(embedded_store, "edgelist", first, "gangs")
    load(embedded_store, "edgelist", second, "gangs")
    # Same dataset name, two files: 'gangs/a/1' and 'gangs/b/1' are different people.
    assert (_actors(embedded_store), undirected_pairs(embedded_store, "ASSOCIATES_WITH")) == (5, 3)
    assert edge_types(embedded_store) == {"ASSOCIATES_WITH": 3}


def test_konect_asym_keeps_direction(tmp_path: Path, embedded_store: EmbeddedStore) -> None:
    path = tmp_path / "net.txt"
    path.write_text("% asym positive\n1 2\n2 1\n", encoding="utf-8")
    load(embedded_store, "edgelist", path, "net")
    assert edge_types(embedded_store) == {"ASSOCIATES_WITH": 2}


def test_bad_lines_are_rejected(tmp_path: Path, embedded_store: EmbeddedStore) -> None:
    path = tmp_path / "net.txt"
    path.write_bytes(b"1 2\n3\n4 5 heavy\n6 \xff7\n8 9 {'weight': 2.5}\n")
    summary = load(embedded_store, "edgelist", path, "net")
    assert (summary.read, summary.rejected) == (5, 3)
    graph = embedded_store.subgraph(clearance=TLP.RED)
    assert sorted(a["weight"] for _, _, a in graph.edges(data=True)) == [1.0, 2.5]


@pytest.mark.parametrize(
    ("text", "weights"),
    [
        ("1\t2\t0.5\n2\t3\t2\n3\t1\t1\n", [0.5, 1.0, 2.0]),  # headerless tab u v weight, named .csv
        ("from,to\n1,2\n2,3\n3,1\n", [1.0, 1.0, 1.0]),
        ("Source;Target;Weight\n1;2;4\n2;3;5\n3;1;6\n", [4.0, 5.0, 6.0]),
        ("a b 3\nb c 1\nc a 2\n", [1.0, 2.0, 3.0]),
        ("node1\tnode2\nAl Capone\tFrank Nitti\nFrank Nitti\tJake Guzik\nJake Guzik\tAl Capone\n", [1, 1, 1]),
        ("1,2\n2,3\n3,1\n", [1.0, 1.0, 1.0]),
    ],
)
def test_network_layout_told_by_content(
    tmp_path: Path, embedded_store: EmbeddedStore, text: str, weights: list[float]
) -> None:
    path = tmp_path / "ties.csv"
    path.write_text(text, encoding="utf-8")
    summary = load(embedded_store, "edgelist", path, "ties")
    assert (summary.read, summary.rejected) == (3, 0)
    graph = embedded_store.subgraph(clearance=TLP.RED)
    assert graph.number_of_nodes() == 3
    assert sorted(a["weight"] for _, _, a in graph.edges(data=True)) == weights


def test_ambiguous_network_file_says_what_was_seen(tmp_path: Path, embedded_store: EmbeddedStore) -> None:
    path = tmp_path / "ties.csv"
    path.write_text("one\ntwo\nthree\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"first line 'one'; lines split by tab into 1 cells.*whitespace"):
        load(embedded_store, "edgelist", path, "ties")


def test_empty_file(tmp_path: Path, embedded_store: EmbeddedStore) -> None:
    path = tmp_path / "net.txt"
    path.write_text("", encoding="utf-8")
    with pytest.raises(SourceError, match="empty file"):
        load(embedded_store, "edgelist", path, "net")


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("relative", "nodes", "ties"),
    [
        ("crime-konect/Crime_Gcc.txt", 754, 2127),
        ("hijackers-911/911.txt", 62, 159),
        ("corruption-brazil/Corruption_Gcc.txt", 309, 3281),
        ("ucinet-covert-matrices/ITALIAN_GANGS.csv", 67, 114),
        ("ucinet-covert-matrices/LONDON_GANG.csv", 54, 315),
        ("ucinet-covert-matrices/MONTREALGANG.csv", 35, 78),
        ("ucinet-covert-matrices/NDRANGHETAMAFIA_2M.csv", 203, 455),
        ("ucinet-covert-matrices/berlusconietal_oversize.csv", 89, 146),
        ("ucinet-covert-matrices/morselli_cielnet.csv", 25, 35),
        ("ucinet-covert-matrices/morselli_siren.csv", 44, 103),
        ("ucinet-covert-matrices/morselli_togo.csv", 33, 47),
        ("ucinet-covert-matrices/natajaran_cocaine.csv", 28, 40),
        ("ucinet-covert-matrices/natajaran_heroin.csv", 38, 87),
        ("dismantling-controls/Datasets_SI/BenchmarkNetwork.txt", 83, 774),
        ("dismantling-controls/Datasets_SI/RodeEU_gcc.txt", 1039, 1305),
    ],
)
def test_real_networks_match_baselines(
    shared_data: Path, embedded_store: EmbeddedStore, relative: str, nodes: int, ties: int
) -> None:
    path = shared_data / "networks" / relative
    summary = load(embedded_store, "edgelist", path, path.parent.name)
    assert summary.rejected == 0
    assert (_actors(embedded_store), _ties(embedded_store)) == (nodes, ties)


@pytest.mark.realdata
def test_real_covert_collection_in_one_dataset(shared_data: Path, embedded_store: EmbeddedStore) -> None:
    folder = shared_data / "networks" / "ucinet-covert-graphs"
    table = re.findall(
        r"^\| `covert_\d+` \| .*? \| `(\S+)` \| (\d+) \| (\d+) \|", (folder / "SOURCE.md").read_text(), re.M
    )
    assert len(table) == 300
    rejected = 0
    for stem, _, _ in table:
        rejected += load(embedded_store, "edgelist", folder / f"{stem}__edges.csv", "ucinet-covert").rejected
    assert rejected == 0
    # Loaded under one dataset name, no two graphs share a vertex or a tie.
    assert _actors(embedded_store) == sum(int(n) for _, n, _ in table)
    assert _ties(embedded_store) == sum(int(e) for _, _, e in table)
