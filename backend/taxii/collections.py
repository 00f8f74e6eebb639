"""TAXII collections: each a saved scope of the graph (as in OpenCTI), read at the caller's clearance.

One collection always exists and holds everything the caller may see. Further collections are saved in
the store's state (namespace ``taxii-collections``; ``crimegraph taxii collection add``), each a scope
(keys and depth, kinds, edge set, time window) with a title and the marking given to objects posted to it
without one of their own.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from backend.export.stix_objects import NAMESPACE
from graph_model.errors import InvalidArgument, NotFound
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from queries.scope import Scope

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
        return {
            "title": self.title,
            "description": self.description,
            "alias": self.alias,
            "default_tlp": self.default_tlp.label,
            "scope": self.scope.as_dict(),
        }

    @classmethod
    def from_state(cls, key: str, value: dict[str, Any]) -> Collection:
        known = set(Scope.__dataclass_fields__)
        scope = Scope.from_dict({k: v for k, v in dict(value.get("scope") or {}).items() if k in known})
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


def collection_id(alias: str) -> str:
    """A saved collection's id: derived from its alias, so the same collection saved again keeps its id."""
    return str(uuid.uuid5(NAMESPACE, f"taxii:collection:{alias}"))


def slug(title: str) -> str:
    """An alias made of a title: lower case, words joined by hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def add(store: GraphStore, collection: Collection) -> Collection:
    """Save a collection (its scope checked against the schema); InvalidArgument when its alias or title is
    taken or it has no alias."""
    if not collection.alias or slug(collection.alias) != collection.alias:
        raise InvalidArgument(f"alias {collection.alias!r}: use lower-case letters, digits and hyphens")
    made = Collection(
        collection_id(collection.alias),
        collection.title,
        collection.description,
        collection.scope.check(store.model),
        collection.default_tlp,
        collection.alias,
    )
    for known in collections(store, collection.default_tlp):
        if known.alias == made.alias or known.title.casefold() == made.title.casefold():
            raise InvalidArgument(f"a collection {known.title!r} (alias {known.alias}) exists already")
    save(store, made)
    return made


def named(store: GraphStore, name: str, default_tlp: TLP) -> Collection:
    """The collection with this id, alias or title; NotFound naming it."""
    for known in collections(store, default_tlp):
        if name in (known.id, known.alias) or name.casefold() == known.title.casefold():
            return known
    raise NotFound(f"no TAXII collection {name!r} (see: crimegraph taxii collection list)")


def remove(store: GraphStore, name: str) -> Collection:
    """Delete a saved collection by id, alias or title (the collection of everything stays)."""
    found = named(store, name, TLP.AMBER)
    if found.id == ALL_ID:
        raise InvalidArgument("the collection of everything cannot be removed")
    store.delete_state(STATE, found.id)
    return found
