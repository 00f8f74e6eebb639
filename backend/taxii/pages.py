"""The objects of a collection as TAXII serves them: crimegraph's STIX export of the collection's scope at
the caller's clearance, each with its date added, filtered and paged.

Every object's served version is the one the STIX export writes at that clearance (``modified`` the latest
among the statements the caller may see), so every reader of one clearance gets the same objects. Objects
are ordered by (date added, marking definitions first, id): a page ends at an object, and ``next`` names
the position after it, so objects added in the same instant are never lost or repeated across pages.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import itertools
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from backend.export import stix
from backend.export.graph import export_graph
from backend.taxii.collections import Collection
from backend.taxii.media import TaxiiError
from graph_model.errors import NotFound
from graph_model.provenance import TLP
from graph_model.store import GraphStore

EPOCH = "1970-01-01T00:00:00.000000Z"
MAX_LIMIT = 1000
CACHED = 8  # exports kept (per collection, clearance and data version)


@dataclass(frozen=True, slots=True)
class Entry:
    date_added: str  # TAXII timestamp with microseconds, comparable as text
    id: str
    version: str
    spec_version: str
    obj: dict[str, Any]


def timestamp(value: str) -> str:
    """A timestamp as TAXII writes it (UTC, microseconds); TaxiiError 400 when it is not one."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise TaxiiError(400, "Bad timestamp", f"not a timestamp: {value[:40]!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _refs(obj: dict[str, Any]) -> Iterable[str]:
    """Ids of the bundle's own objects an object needs: markings, extension definitions, its creator."""
    yield from obj.get("object_marking_refs") or ()
    for marking in obj.get("granular_markings") or ():
        if isinstance(marking, dict) and isinstance(marking.get("marking_ref"), str):
            yield marking["marking_ref"]
    yield from (k for k in obj.get("extensions") or {} if k.startswith("extension-definition--"))
    if isinstance(obj.get("created_by_ref"), str):
        yield obj["created_by_ref"]


def entries(graph_bundle: dict[str, Any], added: dict[str, str | None]) -> list[Entry]:
    """Every object of a bundle with its date added, ordered by :func:`place`. An object not made
    from a node or edge (a marking or extension definition, crimegraph's identity) counts as added
    with the first object that needs it."""
    dates: dict[str, str] = {}
    for obj in graph_bundle["objects"]:
        found = added.get(obj["id"])
        if found is not None:
            dates[obj["id"]] = timestamp(found)
        elif obj["id"] in added:  # a node or edge stored before date_added existed
            dates[obj["id"]] = timestamp(obj.get("created") or EPOCH)
    # What the bundle's own objects need in turn (crimegraph's identity made the extension definitions)
    # counts as added with the first of them, so nothing but an unused definition is dated 1970.
    needed: dict[str, str] = {}
    by_id = {obj["id"]: obj for obj in graph_bundle["objects"]}
    todo = [obj for obj in graph_bundle["objects"] if obj["id"] in dates]
    while todo:
        changed: list[dict[str, Any]] = []
        for obj in todo:
            when = dates.get(obj["id"]) or needed[obj["id"]]
            for ref in _refs(obj):
                if ref not in dates and (ref not in needed or when < needed[ref]):
                    needed[ref] = when
                    if ref in by_id:
                        changed.append(by_id[ref])
        todo = changed
    made: list[Entry] = []
    for obj in graph_bundle["objects"]:
        when = dates.get(obj["id"]) or needed.get(obj["id"]) or EPOCH
        version = obj.get("modified") or obj.get("created") or when
        made.append(Entry(when, obj["id"], timestamp(version), obj.get("spec_version", "2.1"), obj))
    made.sort(key=lambda e: place(e.date_added, e.id))
    return made


def place(date_added: str, object_id: str) -> tuple[str, int, str]:
    """Where an object is served: by date added, then marking definitions first (an object added in the
    same instant that refers to one then comes after it, in the same page or a later one), then by id."""
    return date_added, 0 if object_id.startswith("marking-definition--") else 1, object_id


class Exports:
    """The entries of recent (collection, clearance) exports, kept until the store's data changes."""

    def __init__(self) -> None:
        self._cache: OrderedDict[tuple[Any, ...], list[Entry]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, store: GraphStore, collection: Collection, clearance: TLP) -> list[Entry]:
        version = store.data_version()
        key = (collection.id, collection.scope, clearance, version)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        added: dict[str, str | None] = {}
        try:
            graph = export_graph(store, clearance, collection.scope)
        except NotFound:  # its scope names an entity this clearance cannot see (or none): an empty collection
            made: list[Entry] = []
        else:
            made = entries(stix.bundle(graph, added=added), added)
        with self._lock:
            self._cache[key] = made
            while len(self._cache) > CACHED:
                self._cache.popitem(last=False)
        return made


@dataclass(frozen=True, slots=True)
class Filters:
    added_after: str | None = None
    ids: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    versions: frozenset[str] = frozenset()  # 'last' / 'first' / 'all' or timestamps
    spec_versions: frozenset[str] = frozenset()

    def keep(self, entry: Entry) -> bool:
        if self.added_after is not None and entry.date_added <= self.added_after:
            return False
        if self.ids and entry.id not in self.ids:
            return False
        if self.types and entry.id.partition("--")[0] not in self.types:
            return False
        if self.spec_versions and entry.spec_version not in self.spec_versions:
            return False
        # One version is served (the latest): 'first', 'last' and 'all' all give it; a timestamp must be it.
        stamps = {v for v in self.versions if v not in ("first", "last", "all")}
        return not stamps or len(stamps) < len(self.versions) or entry.version in stamps


def _split(values: list[str] | None) -> frozenset[str]:
    return frozenset(p.strip() for v in values or () for p in v.split(",") if p.strip())


def filters(
    added_after: str | None,
    ids: list[str] | None,
    types: list[str] | None,
    versions: list[str] | None,
    spec_versions: list[str] | None,
) -> Filters:
    stamps = frozenset(v if v in ("first", "last", "all") else timestamp(v) for v in _split(versions))
    return Filters(
        timestamp(added_after) if added_after else None,
        _split(ids),
        _split(types),
        stamps,
        _split(spec_versions),
    )


def token(entry: Entry) -> str:
    """The opaque ``next`` naming the position after ``entry``."""
    return base64.urlsafe_b64encode(orjson.dumps([entry.date_added, entry.id])).decode().rstrip("=")


def _position(next_token: str) -> tuple[str, str]:
    try:
        padded = next_token + "=" * (-len(next_token) % 4)
        date_added, object_id = orjson.loads(base64.urlsafe_b64decode(padded))
        return str(date_added), str(object_id)
    except (binascii.Error, ValueError, TypeError, orjson.JSONDecodeError):
        raise TaxiiError(400, "Bad next", "'next' is not one this server gave") from None


@dataclass(frozen=True, slots=True)
class Page:
    entries: list[Entry]
    more: bool
    next: str | None

    def headers(self) -> dict[str, str]:
        if not self.entries:
            return {}
        return {
            "X-TAXII-Date-Added-First": self.entries[0].date_added,
            "X-TAXII-Date-Added-Last": self.entries[-1].date_added,
        }


def page(found: list[Entry], wanted: Filters, limit: int | None, next_token: str | None) -> Page:
    """One page of the entries ``wanted`` keeps, after ``next_token``'s position."""
    size = MAX_LIMIT if limit is None else limit
    if size < 1:
        raise TaxiiError(400, "Bad limit", "'limit' must be a positive number")
    size = min(size, MAX_LIMIT)
    start = 0
    if next_token:
        start = bisect.bisect_right(
            found, place(*_position(next_token)), key=lambda e: place(e.date_added, e.id)
        )
    chosen: list[Entry] = []
    more = False
    for entry in itertools.islice(found, start, None):
        if not wanted.keep(entry):
            continue
        if len(chosen) == size:
            more = True
            break
        chosen.append(entry)
    return Page(chosen, more, token(chosen[-1]) if more else None)
