"""Open a store from a location string: ``embedded:PATH``, a plain path, or a ``bolt://``/``neo4j://`` URI."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from graph_model.errors import StoreError
from graph_model.model import Model
from graph_model.store.base import GraphStore

NEO4J_SCHEMES = ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")


def open_store(
    location: str,
    model: Model,
    *,
    user: str = "neo4j",
    password: str = "",
    database: str = "neo4j",
    driver_config: Mapping[str, Any] | None = None,
) -> GraphStore:
    """The store at ``location``; credentials (and Neo4j driver settings) come from the caller."""
    if location.startswith(NEO4J_SCHEMES):
        from graph_model.store.neo4j_store import Neo4jStore

        return Neo4jStore.connect(location, user, password, model, database, driver_config)
    path = location.removeprefix("embedded:")
    if not path:
        raise StoreError("embedded store needs a path, e.g. embedded:./crimegraph.db")
    if "://" in path:
        raise StoreError(f"unsupported store {location!r}: use embedded:PATH or a bolt:// / neo4j:// URI")
    from graph_model.store.embedded import EmbeddedStore

    return EmbeddedStore(path if path == ":memory:" else Path(path).expanduser(), model)
