"""Shared fixtures: the real datasets beside the repo, and stores to test against."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from graph_model.model import Model, default_model
from graph_model.store import GraphStore
from graph_model.store.embedded import EmbeddedStore
from graph_model.store.neo4j_store import Neo4jStore

REPO = Path(__file__).resolve().parents[1]

# Property tests run the same examples on every run (a fixed, bounded count: a run passes or fails on
# the code alone, never on the draw); `pytest --hypothesis-profile=explore` draws new ones each time.
settings.register_profile("fixed", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", print_blob=True)
settings.load_profile("fixed")
FIXTURES = Path(__file__).parent / "fixtures"


def _shared_data() -> Path:
    return Path(os.environ.get("CRIMEGRAPH_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def model() -> Model:
    return default_model()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``: the public datasets (CI always has them)."""
    path = _shared_data()
    if not path.is_dir():
        pytest.skip(f"real datasets not found at {path}")
    return path


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture()
def embedded_store(model: Model, tmp_path: Path) -> Iterator[EmbeddedStore]:
    store = EmbeddedStore(tmp_path / "graph.db", model)
    yield store
    store.close()


pytest_plugins = ["tests.neo4j_fixture"]


@pytest.fixture(scope="session")
def neo4j_session_store(neo4j_uri: Any, model: Model) -> Iterator[Neo4jStore]:
    """One Neo4jStore (one driver) for the whole session."""
    # As the API opens it: with an async driver for lookups made on an event loop.
    store = Neo4jStore.connect(neo4j_uri.uri, *neo4j_uri.auth, model, neo4j_uri.database)
    yield store
    store.close()


@pytest.fixture()
def neo4j_store(neo4j_session_store: Neo4jStore) -> Neo4jStore:
    """The session's Neo4j store, emptied for this test."""
    neo4j_session_store.clear(state=True)
    return neo4j_session_store


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest, model: Model, tmp_path: Path) -> Iterator[GraphStore]:
    """Each contract test runs against both stores."""
    if request.param == "embedded":
        embedded = EmbeddedStore(tmp_path / "contract.db", model)
        yield embedded
        embedded.close()
    else:
        yield request.getfixturevalue("neo4j_store")
