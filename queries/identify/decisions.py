"""An analyst's word on a same-person candidate: confirmed or rejected, by whom and when.

Decisions live in the store's state (namespace ``identify``, key ``A|B`` with the smaller key first), so
every later run of :func:`queries.identify.candidates.identify` honours them. A decision keeps the
evidence the pair had when it was made (at the deciding analyst's clearance): a rejected pair comes back
only with evidence beyond that, marked as such. Confirming also writes an ``ALIAS_OF`` link (relation
``same person``) - a fact from then on, in the ``social`` edge set - never a merge of the two nodes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from graph_model.entities import Edge
from graph_model.errors import InvalidArgument
from graph_model.provenance import TLP, Provenance
from graph_model.store.base import GraphStore
from graph_model.writes import record_write
from queries.identify.candidates import NAMESPACE, Candidate, identify, pair_key
from queries.scope import Scope

VERDICTS = ("confirmed", "rejected")


def decide(
    store: GraphStore, clearance: TLP, first: str, second: str, verdict: str, *, analyst: str
) -> dict[str, Any]:
    """Record ``verdict`` (confirmed or rejected) on the pair ``first``/``second`` (keys or identifiers the
    caller may see) by ``analyst``; returns the record. Confirming writes ``ALIAS_OF`` at the marking of
    the pair's evidence (or the caller's clearance when the model did not propose the pair)."""
    if verdict not in VERDICTS:
        raise InvalidArgument(f"a decision is one of {', '.join(VERDICTS)}, not {verdict!r}")
    if not analyst or not analyst.strip():
        raise InvalidArgument("a decision needs the name of who made it")
    a, b = (store.get(x, clearance=clearance) for x in (first, second))
    if a.key == b.key:
        raise InvalidArgument(f"{first!r} and {second!r} are the same entity")
    for node in (a, b):
        if node.kind != "Actor":
            raise InvalidArgument(f"{node.key} is a {node.kind}, not an actor's handle")
    pair = pair_key(a.key, b.key)
    found = identify(store, clearance, Scope(keys=(pair[0],), depth=0), min_score=0.0, decisions={})
    candidate: Candidate | None = next((c for c in found.candidates if c.pair == pair), None)
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    record: dict[str, Any] = {
        "verdict": verdict,
        "analyst": analyst.strip(),
        "at": at,
        "a": pair[0],
        "b": pair[1],
        "score": None if candidate is None else round(candidate.score, 6),
        "evidence": [] if candidate is None else list(candidate.fingerprint),
    }
    store.put_state(NAMESPACE, f"{pair[0]}|{pair[1]}", record)
    if verdict == "confirmed":
        marking = clearance if candidate is None else candidate.marking
        confidence = 100 if candidate is None else max(1, round(candidate.score * 100))
        prov = Provenance.of(f"identify-decision:{analyst.strip()}", at, confidence=confidence, tlp=marking)
        reason = f"confirmed by {analyst.strip()} at {at}"
        store.upsert(
            edges=[Edge("ALIAS_OF", pair[0], pair[1], prov, {"relation": "same person", "reason": reason})]
        )
    record_write(store, analyst=analyst, action=f"identify {verdict}", details={"a": pair[0], "b": pair[1]})
    return record
