"""TAXII collections: each a saved scope of the graph (as in OpenCTI), read at the caller's clearance.

One collection always exists and holds everything the caller may see. Further collections are saved in
the store's state (namespace ``taxii-collections``; ``crimegraph taxii-collection add``), each a scope
(keys and depth, kinds, edge set, time window) with a title and the marking given to objects posted to it
without one of their own.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from backend.export.stix_objects import NAMESPACE
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from queries.scope import DEFAULT_DEPTH, Scope

STATE = "taxii-collections"
ALL_ID = str(uuid.uuid5(NAMESPACE, "taxii:collection:everything"))


@dataclass(frozen=True, slots=True)
class Collection:
    id: str
    title: str
    description: str
    scope: Scope = field(default_factory=Scope)
    # The marking of posted objects that carry none (a setting; AMBER unless set).
    default_tlp: TLP = TLP.AMBER
    alias: str = "everything"

    def resource(self, *, can_read: bool, can_write: bool) -> dict[str, Any]:
        """The collection resource of the spec (section 5.2.1)."""
        from backend.taxii.media import STIX

        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "alias": self.alias,
            "can_read": can_read,
            "can_write": can_write,
            "media_types": [STIX],
        }

    def as_state(self) -> dict[str, Any]:
        scope = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self.scope).items()}
        return {
            "title": self.title,
            "description": self.description,
            "alias": self.alias,
            "default_tlp": self.default_tlp.label,
            "scope": scope,
        }

    @classmethod
    def from_state(cls, key: str, value: dict[str, Any]) -> Collection:
        raw = dict(value.get("scope") or {})
        scope = Scope(
            keys=tuple(raw.get("keys") or ()),
            depth=int(raw.get("depth") or DEFAULT_DEPTH),
            community=raw.get("community"),
            kinds=tuple(raw.get("kinds") or ()),
            edge_set=raw.get("edge_set"),
            since=raw.get("since"),
            until=raw.get("until"),
        )
        return cls(
            key,
            str(value.get("title") or key),
            str(value.get("description") or ""),
            scope,
            TLP.parse(value.get("default_tlp") or "AMBER"),
            str(value.get("alias") or key),
        )


def everything(default_tlp: TLP) -> Collection:
    return Collection(
        ALL_ID,
        "Everything",
        "Every object the caller's clearance may see, as crimegraph's STIX export gives it.",
        default_tlp=default_tlp,
    )


def collections(store: GraphStore, default_tlp: TLP) -> list[Collection]:
    """The collections: everything, then the saved ones by title."""
    saved = [Collection.from_state(k, v) for k, v in store.list_state(STATE)]
    return [everything(default_tlp), *sorted(saved, key=lambda c: (c.title, c.id))]


def find(store: GraphStore, collection_id: str, default_tlp: TLP) -> Collection | None:
    if collection_id == ALL_ID:
        return everything(default_tlp)
    value = store.get_state(STATE, collection_id)
    return None if value is None else Collection.from_state(collection_id, value)


def save(store: GraphStore, collection: Collection) -> None:
    store.put_state(STATE, collection.id, collection.as_state())
