"""GraphQL fuzzing: 1,000 queries generated from the schema (hypothesis-graphql, derandomized) per store.

Fails on anything but a typed answer: an HTTP status other than 200, an error without an expected code
(a masked INTERNAL_ERROR counts as a failure even with HTTP 200), or an error the server logged.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from graphql import parse_value, print_ast
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, queries

from backend.api.schema import build_schema
from backend.settings import ApiSettings
from graph_model.model import Model
from tests.backend.api.conftest import STORES, Api, load_leak, served

# 1,000 generated queries against the embedded store; Neo4j answers through the same resolvers, so a
# quarter of that there keeps the suite's time in bounds while still covering its error paths.
EXAMPLES = {"embedded": 1000, "neo4j": 250}
EXPECTED = {"NOT_FOUND", "BAD_ARGUMENT", "LIMIT_EXCEEDED", "GRAPHQL_VALIDATION"}
SDL = str(build_schema(ApiSettings()))
# Values of the JSON scalar (costs), as GraphQL literals: hypothesis-graphql wants AST nodes.
JSON_VALUES = st.sampled_from(
    [
        "{}",
        "{kinds: {Actor: 3}}",
        "{default: 2, types: {group: 10}}",
        '{nodes: {x: "y"}}',
        "{x: [1, 2]}",
        "7",
        '"s"',
    ]
).map(parse_value)
# Real keys now and then, so generated questions also reach the code past the lookups.
KEYS = ["handle:alphaleak", "group:leakgroup", "btc:bc1qalphaleak000000000000000000000000000"]


@pytest.fixture(scope="module", params=STORES)
def api(
    request: pytest.FixtureRequest, model: Model, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    # Small limits keep every generated question quick; breaching them is an expected, typed error.
    with served(request, model, tmp_path_factory, load_leak, time_budget=10.0) as running:
        yield running


def _with_real_keys(query: str) -> str:
    for index, key in enumerate(KEYS):
        query = query.replace(f'"{index}"', f'"{key}"')
    return query


def _fuzz(api: Api, documents: st.SearchStrategy[object], examples: int, as_: str) -> list[str]:
    seen: list[str] = []

    @settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(document=documents)
    def fuzz(document: object) -> None:
        query = _with_real_keys(str(document))
        seen.append(query)
        response = api.post(query, as_=as_)
        assert response.status_code == 200, (query, response.status_code, response.text[:300])
        for error in response.json().get("errors") or []:
            code = (error.get("extensions") or {}).get("code")
            assert code in EXPECTED, (query, error)

    fuzz()
    return seen


def test_generated_queries_get_typed_answers(api: Api) -> None:
    documents = queries(SDL, custom_scalars={"JSON": JSON_VALUES}, print_ast=print_ast)
    examples = EXAMPLES[api.kind]
    seen = _fuzz(api, documents, examples, "analyst")
    assert len(seen) == examples
    assert len(set(seen)) > examples // 2  # really different questions


def test_generated_ingest_mutations_get_typed_answers(api: Api) -> None:
    documents = mutations(SDL, custom_scalars={"JSON": JSON_VALUES}, print_ast=print_ast)
    assert len(_fuzz(api, documents, 100, "loader")) == 100
