"""GraphQL over HTTP as the specification says: status codes by Accept, bad bodies, GET, request sizes.

Over real HTTP (uvicorn) in front of the embedded store; what these check does not depend on the store.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from graph_model.model import Model
from tests.backend.api.conftest import KEYS, Api, load_leak, served

RESPONSE = "application/graphql-response+json"
AUTH = {"Authorization": f"Bearer {KEYS['loader'][0]}"}


@pytest.fixture(scope="module", params=["embedded"])
def api(
    request: pytest.FixtureRequest, model: Model, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    with served(
        request, model, tmp_path_factory, load_leak, max_request=20_000, max_payload=60_000
    ) as running:
        yield running


def post(api: Api, body: bytes, accept: str | None, content_type: str = "application/json") -> httpx.Response:
    request = api.client.build_request(
        "POST", "/graphql", content=body, headers={**AUTH, "Content-Type": content_type}
    )
    if accept is None:
        del request.headers["Accept"]  # httpx sends */* unless told otherwise
    else:
        request.headers["Accept"] = accept
    return api.client.send(request)


def _request_error(response: httpx.Response, status: int, media: str) -> dict[str, Any]:
    """A request that could not run: the status, the media type, errors with a code and no data."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(media)
    body: dict[str, Any] = response.json()
    assert "data" not in body and body["errors"], body
    assert all(e["extensions"]["code"] and e["message"] for e in body["errors"])
    assert "Traceback" not in response.text
    return body


# Not a well-formed GraphQL-over-HTTP request: 400 whatever the client accepts.
MALFORMED = {
    "null": b"null",
    "string": b'"{ __typename }"',
    "array": b'[{"query": "{ __typename }"}]',
    "empty array": b"[]",
    "number": b"42",
    "broken JSON": b'{"query": "{ __typename }',
    "not JSON": b"query { __typename }",
    "empty": b"",
    "no query": b'{"qeury": "{ __typename }"}',
    "query not a string": b'{"query": {"a": 1}}',
    "variables a string": b'{"query": "{ __typename }", "variables": "x"}',
    "variables an array": b'{"query": "{ __typename }", "variables": [1]}',
    "operationName a number": b'{"query": "{ __typename }", "operationName": 0}',
    "extensions a string": b'{"query": "{ __typename }", "extensions": "x"}',
}
# Well-formed, refused by GraphQL before it runs: 400, or 200 to a client accepting only application/json.
REFUSED = {
    "document does not parse": b'{"query": "{"}',
    "document does not validate": b'{"query": "{ noSuchField }"}',
    "two operations, no name": b'{"query": "query A { __typename } query B { __typename }"}',
    "unknown operation name": b'{"query": "query A { __typename }", "operationName": "B"}',
    "variable of the wrong type": (
        b'{"query": "query($k: [NodeKind!]) { search(text: \\"x\\", kinds: $k) { totalCount } }", '
        b'"variables": {"k": ["Spaceship"]}}'
    ),
    "variable missing": b'{"query": "query($k: String!) { node(key: $k) { key } }"}',
    "enum literal unknown": b'{"query": "{ neighbourhood(keys: [\\"x\\"], edgeSet: nope) { truncated } }"}',
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_bodies_are_400_whatever_is_accepted(api: Api, name: str) -> None:
    body = MALFORMED[name]
    _request_error(post(api, body, RESPONSE), 400, RESPONSE)
    _request_error(post(api, body, None), 400, "application/json")
    _request_error(post(api, body, "application/json"), 400, "application/json")
    _request_error(post(api, body, "*/*"), 400, "application/json")


@pytest.mark.parametrize("name", list(REFUSED))
def test_refused_documents_by_accept(api: Api, name: str) -> None:
    body = REFUSED[name]
    _request_error(post(api, body, RESPONSE), 400, RESPONSE)
    _request_error(post(api, body, None), 400, "application/json")  # no Accept: the specification since 2025
    _request_error(post(api, body, "application/json"), 200, "application/json")
    _request_error(post(api, body, "*/*"), 200, "application/json")


def test_good_requests_by_accept_and_method(api: Api) -> None:
    query = (
        b'{"query": "query Q { __typename }", "operationName": "Q", "variables": null, '
        b'"extensions": {"a": 1}}'
    )
    for accept, media in (
        (RESPONSE, RESPONSE),
        ("application/json", "application/json"),
        (None, "application/json"),
    ):
        answer = post(api, query, accept)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith(media)
        assert answer.json() == {"data": {"__typename": "Query"}}
    preferred = post(api, query, f"application/json;q=0.9, {RESPONSE}")
    assert preferred.headers["content-type"].startswith(RESPONSE)
    assert post(api, query, "text/html").status_code == 406
    assert post(api, query, RESPONSE, content_type="text/plain").status_code == 415
    assert post(api, query, RESPONSE, content_type="application/json; charset=utf-8").status_code == 200
    got = api.client.get(
        "/graphql",
        params={"query": "query($k: String!) { node(key: $k) { key } }", "variables": '{"k": "x"}'},
        headers=AUTH,
    )
    assert got.status_code == 200 and got.json() == {"data": {"node": None}}
    mutation = api.client.get(
        "/graphql", params={"query": 'mutation { ingest(format: CSV, payload: "") { read } }'}, headers=AUTH
    )
    assert mutation.status_code == 405 and mutation.headers["allow"] == "POST"
    assert "data" not in mutation.json()
    assert api.client.put("/graphql", json={"query": "{ __typename }"}, headers=AUTH).status_code == 405


def test_field_errors_keep_data_and_200(api: Api) -> None:
    """An error while running is part of the answer: data (null where it failed) and 200."""
    answer = post(api, b'{"query": "{ neighbours(key: \\"handle:nobody\\") { totalCount } }"}', RESPONSE)
    assert answer.status_code == 200
    body = answer.json()
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_request_sizes(api: Api) -> None:
    """Queries up to max_request (20 kB here), mutations (ingest) up to max_payload (60 kB here); 413 beyond,
    whether the length is declared or the body streams in chunks."""
    padding = " " * 25_000
    big_query = ('{"query": "{ __typename ' + padding + '}"}').encode()
    assert post(api, big_query, RESPONSE).status_code == 413
    payload = "actor,type\n" + "x" * 30_000
    query = "mutation($p: String!) { ingest(format: CSV, payload: $p) { read } }"
    mutation = json.dumps({"query": query, "variables": {"p": payload}}).encode()
    assert post(api, mutation, RESPONSE).status_code == 200
    huge = ('{"query": "{ __typename ' + " " * 70_000 + '}"}').encode()
    assert post(api, huge, RESPONSE).status_code == 413

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(huge), 4096):
            yield huge[start : start + 4096]

    streamed = api.client.post(
        "/graphql", content=chunks(), headers={**AUTH, "Content-Type": "application/json", "Accept": RESPONSE}
    )
    assert streamed.status_code == 413
    other = api.client.post("/view/plan", content=b"x" * 30_000, headers=AUTH)
    assert other.status_code == 413  # every other route: max_request
