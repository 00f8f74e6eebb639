"""The shared Scope: every field narrows the graph, names are checked, clearance holds — on both stores."""

from __future__ import annotations

import pytest

from graph_model.entities import Edge, make_node
from graph_model.errors import InvalidArgument, LimitExceeded, NotFound
from graph_model.model import Model
from graph_model.provenance import TLP, Provenance
from graph_model.store import GraphStore
from queries.scope import Scope, scope_graph


def _seed(store: GraphStore, model: Model) -> dict[str, str]:
    def prov(record: str, tlp: str = "CLEAR", when: str | None = None) -> Provenance:
        return Provenance.of("scope-test", record, first_seen=when, tlp=tlp)

    actor = make_node(model, "Actor", "handle", "wazawaka", prov=prov("a"))
    group = make_node(model, "Actor", "group", "Babuk", prov=prov("g"))
    domain = make_node(model, "Infrastructure", "domain", "babuk.example", prov=prov("d"))
    secret = make_node(model, "Actor", "person", "Secret Insider", prov=prov("s", "RED"))
    wallet = make_node(model, "Wallet", "btc", "1Mz7153HMuxXTuR2R1t78mGSdzaAtNbBWX", prov=prov("w"))
    edges = [
        Edge("MEMBER_OF", actor.key, group.key, prov("e1", when="2021-03-01")),
        Edge("OPERATES", group.key, domain.key, prov("e2", when="2022-06-01")),
        Edge("MEMBER_OF", secret.key, group.key, prov("e3", "RED", when="2021-05-01")),
        Edge("OWNS", group.key, wallet.key, prov("e4", when="2023-01-01")),
    ]
    store.upsert([actor, group, domain, secret, wallet], edges)
    return {"actor": actor.key, "group": group.key, "domain": domain.key, "secret": secret.key}


def test_whole_graph_respects_clearance(store: GraphStore, model: Model) -> None:
    keys = _seed(store, model)
    assert keys["secret"] in scope_graph(store, TLP.RED, Scope())
    clear = scope_graph(store, TLP.CLEAR, Scope())
    assert keys["secret"] not in clear
    assert clear.number_of_nodes() == 4
    assert clear.number_of_edges() == 3


def test_kinds_edge_set_and_window_narrow(store: GraphStore, model: Model) -> None:
    keys = _seed(store, model)
    actors = scope_graph(store, TLP.RED, Scope(kinds=("Actor",)))
    assert {d["kind"] for _, d in actors.nodes(data=True)} == {"Actor"}
    social = scope_graph(store, TLP.RED, Scope(edge_set="social"))
    assert {d["type"] for *_, d in social.edges(data=True)} == {"MEMBER_OF"}
    early = scope_graph(store, TLP.RED, Scope(until="2021-12-31"))
    assert {d["type"] for *_, d in early.edges(data=True)} == {"MEMBER_OF"}
    assert early.has_node(keys["domain"])  # nodes stay; only edges outside the window go


def test_neighbourhood_of_keys(store: GraphStore, model: Model) -> None:
    keys = _seed(store, model)
    near = scope_graph(store, TLP.CLEAR, Scope(keys=(keys["actor"],), depth=1))
    assert set(near) == {keys["actor"], keys["group"]}
    with pytest.raises(NotFound):
        scope_graph(store, TLP.CLEAR, Scope(keys=(keys["secret"],)))


def test_community_ids_are_stable(store: GraphStore, model: Model) -> None:
    _seed(store, model)
    whole = scope_graph(store, TLP.RED, Scope())
    first = scope_graph(store, TLP.RED, Scope(community="0"))
    assert 0 < first.number_of_nodes() <= whole.number_of_nodes()
    assert set(first) == set(scope_graph(store, TLP.RED, Scope(community="0")))
    with pytest.raises(NotFound):
        scope_graph(store, TLP.RED, Scope(community="99"))


@pytest.mark.parametrize(
    ("scope", "error"),
    [
        (Scope(kinds=("Person') DETACH DELETE n //",)), InvalidArgument),
        (Scope(edge_set="nope"), InvalidArgument),
        (Scope(depth=9), LimitExceeded),
        (Scope(since="not a date"), InvalidArgument),
        (Scope(since="2024-01-01", until="2023-01-01"), InvalidArgument),
        (Scope(algorithm="magic"), InvalidArgument),
    ],
)
def test_bad_scopes_are_typed_errors(
    embedded_store: GraphStore, scope: Scope, error: type[Exception]
) -> None:
    with pytest.raises(error):
        scope_graph(embedded_store, TLP.RED, scope)


def test_scope_round_trips_through_json() -> None:
    scope = Scope(keys=("attack:G0007",), kinds=("Actor",), edge_set="operational", since="2020-01-01")
    assert Scope.from_dict(scope.as_dict()) == scope
    with pytest.raises(InvalidArgument):
        Scope.from_dict({"bogus": 1})


def test_a_checked_scope_with_a_window_stays_hashable() -> None:
    # The API keeps rankings per scope: a scope whose window was normalised must still be a dict key.
    from graph_model.model import default_model
    from queries.scope import Scope as _Scope

    scope = _Scope(keys=("a",), kinds=("Actor",), since="2024-01-01").check(default_model())
    assert isinstance(scope.keys, tuple) and isinstance(scope.kinds, tuple)
    assert {scope: 1}[scope] == 1
    assert hash(scope.with_defaults(edge_set="social")) is not None
