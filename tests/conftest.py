"""Shared fixtures: the real datasets beside the repo, and stores to test against."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph_model.model import Model, default_model
from graph_model.store.embedded import EmbeddedStore

REPO = Path(__file__).resolve().parents[1]
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
