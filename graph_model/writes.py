"""Who wrote what, and when: one state record per write to a store (a load, an ingest, a clear, a decision).

Every write names the person behind it - the CLI's ``--analyst`` (``CRIMEGRAPH_ANALYST``, default the OS
user) or the API key's NAME - and is recorded in the store's state (namespace :data:`NAMESPACE`), beside
the graph and in every process's view of it. Records are keyed by the time they were made, so listing the
namespace lists the writes in order.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from graph_model.store.base import GraphStore

NAMESPACE = "writes"


def now_iso(precise: bool = False) -> str:
    """The current UTC time as ISO text (to the second, or the microsecond when ``precise``)."""
    moment = datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if precise else "%Y-%m-%dT%H:%M:%SZ")


def record_write(
    store: GraphStore,
    *,
    analyst: str,
    action: str,
    started: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> str:
    """Record that ``analyst`` made a write (``action``: ``load``, ``ingest``, ``clear``, ...) that began at
    ``started`` (ISO, default now) and has just ended; ``details`` (JSON) say what it was (format, files,
    source, marking, counts). Returns the record's key. The record also holds the data version the write
    left the store at, which packages and saved investigations cite."""
    if not analyst or not analyst.strip():
        raise ValueError("a write needs the name of who made it")
    finished = now_iso()
    record: dict[str, Any] = {
        **(details or {}),
        "analyst": analyst.strip(),
        "action": action,
        "started": started or finished,
        "finished": finished,
        "data_version": store.data_version(),
    }
    key = f"{now_iso(precise=True)}|{uuid.uuid4().hex[:8]}"
    store.put_state(NAMESPACE, key, record, versioned=False)
    return key


def list_writes(store: GraphStore, *, last: int | None = None) -> list[dict[str, Any]]:
    """The recorded writes, oldest first (only the ``last`` ones when given), each with its ``id``."""
    found = [{"id": key, **value} for key, value in store.list_state(NAMESPACE)]
    return found[-last:] if last else found


__all__ = ["NAMESPACE", "list_writes", "now_iso", "record_write"]
