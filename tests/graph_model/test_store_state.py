"""State beyond the graph and the data version, on both stores: records, counters across processes,
and that the graph's reads, counts, searches, checks, exports and clears never meet the state."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from graph_model.check import check_store
from graph_model.entities import Edge, make_node
from graph_model.model import Model
from graph_model.provenance import TLP, Provenance
from graph_model.store import GraphStore
from graph_model.store.embedded import EmbeddedStore
from graph_model.store.neo4j_store import Neo4jStore


def _small_graph(store: GraphStore, model: Model) -> None:
    a = make_node(model, "Actor", "handle", "lockbitsupp", prov=Provenance.of("forum", "1"))
    b = make_node(model, "Infrastructure", "domain", "lockbit.example", prov=Provenance.of("forum", "2"))
    store.upsert([a, b], [Edge("OPERATES", a.key, b.key, Provenance.of("forum", "3"))])


def test_records_put_get_list_delete(store: GraphStore) -> None:
    assert store.get_state("sessions", "abc") is None
    store.put_state("sessions", "abc", {"caller": "k-1", "expires": 1.5, "tags": ["a", "b"]})
    store.put_state("sessions", "abd", {"n": 1})
    store.put_state("sessions", "b", {"n": 2})
    store.put_state("decisions", "abc", {"verdict": "confirm"})
    assert store.get_state("sessions", "abc") == {"caller": "k-1", "expires": 1.5, "tags": ["a", "b"]}
    store.put_state("sessions", "abc", {"replaced": True})
    assert store.get_state("sessions", "abc") == {"replaced": True}
    assert store.list_state("sessions") == [("abc", {"replaced": True}), ("abd", {"n": 1}), ("b", {"n": 2})]
    assert store.list_state("sessions", "ab") == [("abc", {"replaced": True}), ("abd", {"n": 1})]
    # A prefix is text, never a pattern.
    store.put_state("sessions", "a%z", {"n": 3})
    assert store.list_state("sessions", "a%") == [("a%z", {"n": 3})]
    assert store.list_state("sessions", "a_") == []
    assert store.list_state("decisions") == [("abc", {"verdict": "confirm"})]
    assert store.list_state("nothing here") == []
    assert store.delete_state("sessions", "abc") is True
    assert store.delete_state("sessions", "abc") is False
    assert store.get_state("sessions", "abc") is None
    assert store.get_state("decisions", "abc") == {"verdict": "confirm"}
    # Unicode keys and values survive as given.
    store.put_state("taxii-status", "Zürich/ü", {"text": "naïve ✓"})
    assert store.get_state("taxii-status", "Zürich/ü") == {"text": "naïve ✓"}


@pytest.mark.parametrize(
    ("namespace", "key", "value"),
    [
        ("", "k", {}),
        ("ns", "", {}),
        ("ns", "k", ["not", "a", "dict"]),
        ("ns", "k", {"when": object()}),
        ("ns", "k", {"set": {1, 2}}),
    ],
)
def test_bad_records_are_refused(store: GraphStore, namespace: str, key: str, value: object) -> None:
    before = store.data_version()
    with pytest.raises(ValueError, match="state"):
        store.put_state(namespace, key, value)  # type: ignore[arg-type]
    assert store.data_version() == before


def test_data_version_increases_with_every_write(store: GraphStore, model: Model) -> None:
    seen = [store.data_version()]

    def increased() -> bool:
        now = store.data_version()
        grew = now > seen[-1]
        seen.append(now)
        return grew

    _small_graph(store, model)
    assert increased()
    _small_graph(store, model)  # a batch is a write even when it adds nothing
    assert increased()
    store.put_state("decisions", "a|b", {"verdict": "reject"})
    assert increased()
    store.put_state("sessions", "s1", {"caller": "x"}, versioned=False)
    assert not increased()
    store.incr_state("logins", "127.0.0.1", 60)
    assert not increased()
    assert store.delete_state("sessions", "s1", versioned=False)
    assert not increased()
    assert store.delete_state("decisions", "a|b")
    assert increased()
    assert not store.delete_state("decisions", "a|b")  # deleting nothing changes nothing
    assert not increased()
    store.clear()
    assert increased()  # clearing never takes the version back


def test_state_never_meets_the_graph(store: GraphStore, model: Model) -> None:
    _small_graph(store, model)
    before = store.stats(clearance=TLP.RED).as_dict()
    graph_before = store.subgraph(clearance=TLP.RED)
    store.put_state("sessions", "lockbitsupp", {"name": "lockbitsupp", "key": "handle:lockbitsupp"})
    store.incr_state("logins", "lockbitsupp", 60)
    assert store.stats(clearance=TLP.RED).as_dict() == before
    graph = store.subgraph(clearance=TLP.RED)
    assert sorted(graph.nodes) == sorted(graph_before.nodes)
    assert graph.number_of_edges() == graph_before.number_of_edges()
    assert [n.key for n in store.search("lockbitsupp", clearance=TLP.RED)] == ["handle:lockbitsupp"]
    assert check_store(store).violations == 0
    nodes, edges = store.topology(clearance=TLP.RED)
    assert len(nodes) == 2 and len(edges) == 1
    assert store.pending_count() == 0


def test_clear_keeps_state_unless_asked(store: GraphStore, model: Model) -> None:
    _small_graph(store, model)
    store.put_state("decisions", "a|b", {"verdict": "confirm"})
    store.incr_state("logins", "10.0.0.1", 60)
    store.clear()
    assert store.stats(clearance=TLP.RED).as_dict()["total_nodes"] == 0
    assert store.get_state("decisions", "a|b") == {"verdict": "confirm"}
    assert store.incr_state("logins", "10.0.0.1", 60, by=0) == 1
    _small_graph(store, model)  # the store works as before after a clear
    assert store.stats(clearance=TLP.RED).as_dict()["total_edges"] == 1
    version = store.data_version()
    store.clear(state=True)
    assert store.get_state("decisions", "a|b") is None
    assert store.list_state("decisions") == []
    assert store.incr_state("logins", "10.0.0.1", 60, by=0) == 0
    assert store.data_version() > version


def test_counter_counts_within_a_sliding_window(store: GraphStore) -> None:
    assert store.incr_state("logins", "198.51.100.7", 60, by=0) == 0
    assert [store.incr_state("logins", "198.51.100.7", 60) for _ in range(3)] == [1, 2, 3]
    assert store.incr_state("logins", "198.51.100.7", 60, by=0) == 3
    assert store.incr_state("logins", "203.0.113.9", 60) == 1  # another key counts apart
    # A short window forgets events older than it (windows of seconds: a loaded machine is slow).
    assert store.incr_state("short", "k", 4) == 1
    assert store.incr_state("short", "k", 4) == 2
    time.sleep(4.5)
    assert store.incr_state("short", "k", 4, by=0) == 0
    assert store.incr_state("short", "k", 4) == 1
    # Counters are not records, and deleting resets them.
    assert store.get_state("logins", "198.51.100.7") is None
    assert store.list_state("logins") == []
    assert store.delete_state("logins", "198.51.100.7") is True
    assert store.incr_state("logins", "198.51.100.7", 60) == 1
    with pytest.raises(ValueError, match="window"):
        store.incr_state("logins", "x", 0)


_COUNTER_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from graph_model.model import default_model
    from graph_model.store import open_store

    location, user, password, database, rounds = sys.argv[1:6]
    store = open_store(location, default_model(), user=user, password=password, database=database)
    counts = [store.incr_state("logins", "192.0.2.1", 600) for _ in range(int(rounds))]
    store.close()
    print(json.dumps(counts))
    """
)


def _location(store: GraphStore, request: pytest.FixtureRequest) -> tuple[str, str, str, str]:
    if isinstance(store, EmbeddedStore):
        return f"embedded:{store.path}", "", "", ""
    assert isinstance(store, Neo4jStore)
    connection = request.getfixturevalue("neo4j_uri")
    return connection.uri, connection.user, connection.password, connection.database


def test_counter_is_atomic_across_processes(
    store: GraphStore, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Two processes counting the same key at once: no count lost, none repeated."""
    rounds = 40
    args = [*_location(store, request), str(rounds)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _COUNTER_SCRIPT, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    seen: list[int] = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err.decode()
        counts = json.loads(out)
        assert counts == sorted(counts)  # each process sees its own counts grow
        seen.extend(counts)
    assert sorted(seen) == list(range(1, 2 * rounds + 1))
    assert store.incr_state("logins", "192.0.2.1", 600, by=0) == 2 * rounds


def test_state_is_shared_between_connections(
    store: GraphStore, request: pytest.FixtureRequest, model: Model
) -> None:
    """What one process writes, another reads (a session made by one worker, used by the other)."""
    location, user, password, database = _location(store, request)
    script = textwrap.dedent(
        """
        import json, sys
        from graph_model.model import default_model
        from graph_model.store import open_store

        store = open_store(sys.argv[1], default_model(), user=sys.argv[2], password=sys.argv[3],
                           database=sys.argv[4])
        print(json.dumps([store.get_state("sessions", "s1"), store.data_version()]))
        store.put_state("sessions", "s2", {"from": "other"}, versioned=False)
        store.close()
        """
    )
    store.put_state("sessions", "s1", {"caller": "analyst-1"}, versioned=False)
    _small_graph(store, model)
    done = subprocess.run(
        [sys.executable, "-c", script, location, user, password, database],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    record, version = json.loads(done.stdout)
    assert record == {"caller": "analyst-1"}
    assert version == store.data_version()
    assert store.get_state("sessions", "s2") == {"from": "other"}
    # The graph as this connection knew it is unchanged by the other's state write.
    assert store.stats(clearance=TLP.RED).as_dict()["total_nodes"] == 2


def test_date_added_is_when_first_loaded(store: GraphStore, model: Model) -> None:
    """Every node and edge gets the time it was first loaded; a re-load or a merge keeps the earliest."""
    first_load = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    _small_graph(store, model)
    node = store.get("handle:lockbitsupp", clearance=TLP.CLEAR)
    assert node.prov.date_added is not None and node.prov.date_added >= first_load
    edge = store.neighbourhood(["handle:lockbitsupp"], clearance=TLP.CLEAR).edges
    (only,) = edge.values()
    assert only.prov.date_added == node.prov.date_added
    added = node.prov.date_added
    time.sleep(1.1)
    _small_graph(store, model)  # the same records again
    again = make_node(model, "Actor", "handle", "lockbitsupp", prov=Provenance.of("other-forum", "9"))
    store.upsert([again])  # another source of the same entity
    node = store.get("handle:lockbitsupp", clearance=TLP.CLEAR)
    assert node.prov.date_added == added
    assert node.prov.sources == {"forum#1", "other-forum#9"}
    (only,) = store.neighbourhood(["handle:lockbitsupp"], clearance=TLP.CLEAR).edges.values()
    assert only.prov.date_added == added
    graph = store.subgraph(clearance=TLP.CLEAR)
    assert graph.nodes["handle:lockbitsupp"]["date_added"] == added
    assert all(data["date_added"] == added for _, _, data in graph.edges(data=True))
    # A new entity loaded later carries its own, later date.
    late = make_node(model, "Actor", "handle", "newcomer", prov=Provenance.of("forum", "4"))
    store.upsert([late])
    newer = store.get("handle:newcomer", clearance=TLP.CLEAR).prov.date_added
    assert newer is not None and newer > added


def test_date_added_as_each_clearance_sees_it(store: GraphStore, model: Model) -> None:
    """A caller sees when the sources within its clearance were first loaded: an AMBER report loaded
    earlier does not show a CLEAR caller that something was known of the entity before."""
    wallet = "bc1qa5wkgaew2dkv56kfvj49j0av5nml45x9ek9hz6"
    amber = make_node(model, "Wallet", "btc", wallet, prov=Provenance.of("report", "1", tlp="AMBER"))
    store.upsert([amber])
    amber_added = store.get(f"btc:{wallet}", clearance=TLP.RED).prov.date_added
    time.sleep(1.1)
    clear = make_node(model, "Wallet", "btc", wallet, prov=Provenance.of("public", "1"))
    store.upsert([clear])
    seen_clear = store.get(f"btc:{wallet}", clearance=TLP.CLEAR).prov.date_added
    seen_red = store.get(f"btc:{wallet}", clearance=TLP.RED).prov.date_added
    assert amber_added is not None and seen_clear is not None
    assert seen_red == amber_added
    assert seen_clear > amber_added
