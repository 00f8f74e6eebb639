"""TAXII status resources: what became of each object of a POST, kept in the store's state."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from typing import Any

from graph_model.store import GraphStore

STATE = "taxii-status"


def status_resource(
    request_timestamp: str, posted: list[dict[str, Any]], rejects: list[dict[str, Any]], owner: str
) -> dict[str, Any]:
    """The status of a POST, loaded at once: every object a success unless the loader rejected it (the
    loader's reason is the failure's message). Skipped objects (custom types, marking definitions) were
    read, so they count as successes."""
    failed: dict[str, list[str]] = defaultdict(list)
    for reject in rejects:
        if reject.get("skipped"):
            continue
        object_id = str(reject.get("location", "")).rpartition("#")[2]
        failed[object_id].append(str(reject.get("reason", "rejected")))
    successes, failures = [], []
    for obj in posted:
        object_id = str(obj["id"]) if isinstance(obj.get("id"), str) else ""
        item = {"id": object_id, "version": obj.get("modified") or obj.get("created") or request_timestamp}
        if object_id in failed:
            failures.append({**item, "message": "; ".join(failed[object_id])[:500]})
        else:
            successes.append(item)
    return {
        "id": str(uuid.uuid4()),
        "status": "complete",
        "request_timestamp": request_timestamp,
        "total_count": len(posted),
        "success_count": len(successes),
        "successes": successes,
        "failure_count": len(failures),
        "failures": failures,
        "pending_count": 0,
        "pendings": [],
        "owner": owner,
    }


def save(store: GraphStore, status: dict[str, Any]) -> None:
    store.put_state(STATE, status["id"], json.loads(json.dumps(status)))


def find(store: GraphStore, status_id: str, owner: str) -> dict[str, Any] | None:
    """The status, to the key that posted it only (others get None: not found)."""
    found = store.get_state(STATE, status_id)
    if found is None or found.get("owner") != owner:
        return None
    return {k: v for k, v in found.items() if k != "owner"}
