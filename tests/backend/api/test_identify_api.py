"""identityCandidates over real HTTP: the same candidates as `queries.identify`, paged as a connection,
computed at the caller's clearance."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from loaders import LoadContext, ingest, reader
from loaders.generate import generate
from queries.identify.candidates import identify
from tests.backend.api.conftest import Api, served

QUERY = """query($first: Int, $after: String, $min: Float!) {
  identityCandidates(minScore: $min, first: $first, after: $after) {
    edges { cursor node { a { key name kind } b { key name kind } score group status tlp
                          evidence { signal detail weight } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    totalCount
  }
}"""


@cache
def _tables() -> tuple[Path, ...]:
    out = Path(tempfile.mkdtemp(prefix="crimegraph-identify-"))
    return tuple(generate(out, 60, 5, identities="standard").tables)


def _load(store: GraphStore) -> None:
    for table in _tables():
        ingest(store, reader("csv")(table, LoadContext(store.model, "synthetic")))


@pytest.fixture(scope="module", params=["embedded"])
def api(
    request: pytest.FixtureRequest, model: Model, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    with served(request, model, tmp_path_factory, _load) as running:
        yield running


def test_identity_candidates_page_through_what_the_caller_may_see(api: Api) -> None:
    expected = identify(api.store, TLP.GREEN)  # the analyst key is GREEN
    assert len(expected.candidates) > 3
    first = api.data(QUERY, {"first": 3, "min": 0.8})["identityCandidates"]
    assert first["totalCount"] == len(expected.candidates)
    assert first["pageInfo"]["hasNextPage"] is True
    second = api.data(QUERY, {"first": 3, "after": first["pageInfo"]["endCursor"], "min": 0.8})
    nodes = [e["node"] for e in first["edges"] + second["identityCandidates"]["edges"]]
    want = [c.as_dict() for c in expected.candidates[:6]]
    assert [(n["a"]["key"], n["b"]["key"], n["score"]) for n in nodes] == [
        (w["a"]["key"], w["b"]["key"], w["score"]) for w in want
    ]
    assert nodes[0]["evidence"][0] == want[0]["evidence"][0]
    assert {n["tlp"] for n in nodes} <= {"CLEAR", "GREEN"}


def test_identity_candidates_refuse_bad_input_and_roles(api: Api) -> None:
    assert api.codes(QUERY, {"first": 3, "min": 1.5}) == {"BAD_ARGUMENT"}
    assert api.codes(QUERY, {"first": 3, "min": 0.8}, as_="viewer") == {"FORBIDDEN"}


DECIDE = """mutation($a: String!, $b: String!) {
  %s(a: $a, b: $b) { a b verdict analyst at score }
}"""


def test_confirm_and_reject_through_the_api(api: Api) -> None:
    candidates = api.data(QUERY, {"first": 2, "min": 0.8})["identityCandidates"]["edges"]
    one, two = (e["node"] for e in candidates)
    done = api.data(DECIDE % "confirmIdentity", {"a": one["a"]["key"], "b": one["b"]["key"]})[
        "confirmIdentity"
    ]
    assert done["verdict"] == "confirmed" and done["analyst"] and done["at"]
    api.data(DECIDE % "rejectIdentity", {"a": two["b"]["key"], "b": two["a"]["key"]})
    after = api.data(QUERY, {"first": 50, "min": 0.8})["identityCandidates"]["edges"]
    status = {(e["node"]["a"]["key"], e["node"]["b"]["key"]): e["node"]["status"] for e in after}
    assert status[(one["a"]["key"], one["b"]["key"])] == "confirmed"
    assert (two["a"]["key"], two["b"]["key"]) not in status
    assert api.codes(DECIDE % "rejectIdentity", {"a": "handle:nobody", "b": one["a"]["key"]}) == {"NOT_FOUND"}
    assert api.codes(
        DECIDE % "rejectIdentity", {"a": one["a"]["key"], "b": one["b"]["key"]}, as_="viewer"
    ) == {"FORBIDDEN"}
