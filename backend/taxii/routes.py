"""TAXII 2.1 routes under ``/taxii2/``: discovery, one API root, collections, objects (GET with paging and
filters, POST into the STIX loader), manifest, versions and status. Each route is thin: the objects are
the STIX export (``backend.taxii.pages``), posts go through the loader (``backend.api.ingest``).

Callers authenticate with their API key, as HTTP Basic (any user name, the key as password: what TAXII
clients send), ``Authorization: Bearer KEY`` or ``Token KEY`` (taxii2-client's ``TokenAuth``); every read is
at the key's clearance.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as BodyTooLarge

from backend.api.auth import Caller, caller_of
from backend.api.deps import Runner, StoreHolder
from backend.api.ingest import ingest_payload
from backend.export.stix_objects import TLP2
from backend.taxii import collections as saved
from backend.taxii import status as statuses
from backend.taxii.collections import Collection
from backend.taxii.media import TAXII, TaxiiError, check_accept, error_response, taxii_response
from backend.taxii.pages import Entry, Exports, Page, filters, page, timestamp
from graph_model.errors import CrimegraphError
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from loaders.markings import Markings, definitions_in, object_level

ROOT = "crimegraph"
# The marking definitions posted to each collection (state namespace, one record per collection).
MARKINGS_STATE = "taxii-markings"
router = APIRouter(prefix="/taxii2", tags=["taxii"])


async def taxii_caller(request: Request) -> Caller:
    """The caller (HTTP Basic with the key as password, or Bearer), who must accept TAXII 2.1 JSON."""
    try:
        caller = caller_of(request)
    except HTTPException as exc:
        raise TaxiiError(401, "Unauthorized", str(exc.detail)) from None
    request.state.caller = caller
    check_accept(request)
    if not caller.can("read"):
        raise TaxiiError(403, "Forbidden", "this key may not read")
    return caller


Reader = Annotated[Caller, Depends(taxii_caller)]


def _settings(request: Request) -> Any:
    return request.app.state.settings.api


def _default_tlp(request: Request) -> TLP:
    return TLP.parse(_settings(request).taxii_default_tlp)


async def _work(request: Request, fn: Any, *args: Any) -> Any:
    """Store work off the event loop, within the TAXII time budget; store errors as TAXII errors."""
    holder: StoreHolder = request.app.state.store_holder
    try:
        store = await holder.aget()
        return await Runner(holder, _settings(request).taxii_time_budget)(fn, store, *args)
    except CrimegraphError as exc:
        raise TaxiiError(exc.status, type(exc).__name__, str(exc)) from None


def _collection(store: GraphStore, collection_id: str, default_tlp: TLP) -> Collection:
    found = saved.find(store, collection_id, default_tlp)
    if found is None:
        raise TaxiiError(404, "Collection not found", f"no collection {collection_id!r}")
    return found


@router.get("/")
async def discovery(request: Request, caller: Reader) -> Response:
    """The discovery resource: this server and its one API root."""
    return taxii_response(
        {
            "title": "crimegraph",
            "description": "Criminal ecosystem graph: STIX 2.1 objects at the caller's TLP clearance.",
            "default": f"/taxii2/{ROOT}/",
            "api_roots": [f"/taxii2/{ROOT}/"],
        }
    )


@router.get(f"/{ROOT}/")
async def api_root(request: Request, caller: Reader) -> Response:
    return taxii_response(
        {
            "title": "crimegraph",
            "description": "Collections of crimegraph's graph, each a saved scope.",
            "versions": [TAXII],
            "max_content_length": _settings(request).max_payload,
        }
    )


@router.get(f"/{ROOT}/collections/")
async def list_collections(request: Request, caller: Reader) -> Response:
    found: list[Collection] = await _work(request, saved.collections, _default_tlp(request))
    writes = caller.can("ingest")
    return taxii_response({"collections": [c.resource(can_read=True, can_write=writes) for c in found]})


@router.get(f"/{ROOT}/collections/{{collection_id}}/")
async def get_collection(request: Request, caller: Reader, collection_id: str) -> Response:
    found = await _work(request, _collection, collection_id, _default_tlp(request))
    return taxii_response(found.resource(can_read=True, can_write=caller.can("ingest")))


def _entries(
    store: GraphStore, collection_id: str, default_tlp: TLP, clearance: TLP, exports: Exports
) -> Any:
    return exports.get(store, _collection(store, collection_id, default_tlp), clearance)


async def _page(request: Request, caller: Caller, collection_id: str, wanted: Listing) -> Page:
    exports: Exports = request.app.state.taxii_exports
    found: list[Entry] = await _work(
        request, _entries, collection_id, _default_tlp(request), caller.clearance, exports
    )
    chosen = filters(wanted.added_after, wanted.ids, wanted.types, wanted.versions, wanted.spec_versions)
    return page(found, chosen, wanted.limit, wanted.next)


@dataclass(frozen=True, slots=True)
class Listing:
    """The filters and paging of the objects and manifest endpoints (TAXII 2.1 section 3.4), one dependency
    for both."""

    added_after: str | None = None
    limit: int | None = None
    next: str | None = None
    ids: list[str] | None = None
    types: list[str] | None = None
    versions: list[str] | None = None
    spec_versions: list[str] | None = None


def listing(
    added_after: str | None = None,
    limit: int | None = None,
    next: str | None = None,  # noqa: A002 - the spec's parameter name
    match_id: Annotated[list[str] | None, Query(alias="match[id]")] = None,
    match_type: Annotated[list[str] | None, Query(alias="match[type]")] = None,
    match_version: Annotated[list[str] | None, Query(alias="match[version]")] = None,
    match_spec_version: Annotated[list[str] | None, Query(alias="match[spec_version]")] = None,
) -> Listing:
    return Listing(added_after, limit, next, match_id, match_type, match_version, match_spec_version)


Listed = Annotated[Listing, Depends(listing)]


@router.get(f"/{ROOT}/collections/{{collection_id}}/objects/")
async def get_objects(request: Request, caller: Reader, collection_id: str, wanted: Listed) -> Response:
    """An envelope of the collection's objects the caller may see, a page at a time."""
    return _envelope(await _page(request, caller, collection_id, wanted))


def _envelope(found: Page) -> Response:
    body: dict[str, Any] = {"more": found.more}
    if found.next:
        body["next"] = found.next
    if found.entries:
        body["objects"] = [e.obj for e in found.entries]
    return taxii_response(body, headers=found.headers())


@router.get(f"/{ROOT}/collections/{{collection_id}}/objects/{{object_id}}/")
async def get_object(
    request: Request,
    caller: Reader,
    collection_id: str,
    object_id: str,
    match_version: Annotated[list[str] | None, Query(alias="match[version]")] = None,
    match_spec_version: Annotated[list[str] | None, Query(alias="match[spec_version]")] = None,
) -> Response:
    """One object (its latest version), or 404 - the same whether it does not exist or is above clearance."""
    wanted = Listing(ids=[object_id], versions=match_version, spec_versions=match_spec_version)
    found = await _page(request, caller, collection_id, wanted)
    if not found.entries:
        raise TaxiiError(404, "Object not found", f"no object {object_id!r} in this collection")
    return _envelope(found)


@router.get(f"/{ROOT}/collections/{{collection_id}}/objects/{{object_id}}/versions/")
async def get_versions(request: Request, caller: Reader, collection_id: str, object_id: str) -> Response:
    """The versions of an object: crimegraph serves the latest only."""
    found = await _page(request, caller, collection_id, Listing(ids=[object_id]))
    if not found.entries:
        raise TaxiiError(404, "Object not found", f"no object {object_id!r} in this collection")
    return taxii_response({"more": False, "versions": [found.entries[0].version]}, headers=found.headers())


@router.get(f"/{ROOT}/collections/{{collection_id}}/manifest/")
async def get_manifest(request: Request, caller: Reader, collection_id: str, wanted: Listed) -> Response:
    """What the objects endpoint would give, as manifest records (id, date added, version, media type)."""
    found = await _page(request, caller, collection_id, wanted)
    body: dict[str, Any] = {"more": found.more}
    if found.next:
        body["next"] = found.next
    if found.entries:
        body["objects"] = [
            {
                "id": e.id,
                "date_added": e.date_added,
                "version": e.version,
                "media_type": f"application/stix+json;version={e.spec_version}",
            }
            for e in found.entries
        ]
    return taxii_response(body, headers=found.headers())


def _marked(obj: Any, default: TLP, markings: Markings) -> Any:
    """An object posted without a TLP marking of its own gets the collection's default marking (beside a
    statement marking it has: a copyright is no clearance level)."""
    if not isinstance(obj, dict) or obj.get("type") == "marking-definition":
        return obj
    if object_level(obj, markings, []) is not None:
        return obj
    refs = obj.get("object_marking_refs") or []
    return {**obj, "object_marking_refs": [TLP2[default][0], *refs]}


def _ingest(
    store: GraphStore, collection_id: str, default_tlp: TLP, objects: list[Any], source: str, owner: str
) -> dict[str, Any]:
    collection = _collection(store, collection_id, default_tlp)
    when = timestamp(datetime.now(UTC).isoformat())
    # The marking definitions posted with the objects, and those posted to the collection before (a partner
    # sends each once, then objects that refer to it in later envelopes): kept in the store's state.
    earlier = store.get_state(MARKINGS_STATE, collection.id) or {}
    posted_now = definitions_in(objects)
    known = {**earlier, **posted_now}
    markings = Markings.of(known.values())
    marked = [_marked(o, collection.default_tlp, markings) for o in objects]
    carried = [d for i, d in sorted(known.items()) if i not in posted_now and isinstance(d, dict)]
    payload = json.dumps({"type": "bundle", "id": "bundle--taxii", "objects": [*carried, *marked]})
    if known != earlier:
        store.put_state(MARKINGS_STATE, collection.id, known, versioned=False)
    dataset = f"{source}@taxii:{collection.alias}"
    _, rejects = ingest_payload(
        store, "stix", payload, filename="taxii-post.json", source=dataset, tlp=TLP.CLEAR, confidence=50,
        analyst=source,
    )  # fmt: skip
    posted = [o for o in objects if isinstance(o, dict)]
    status = statuses.status_resource(when, posted, rejects, owner)
    statuses.save(store, status)
    return status


@router.post(f"/{ROOT}/collections/{{collection_id}}/objects/")
async def add_objects(request: Request, caller: Reader, collection_id: str) -> Response:
    """Load an envelope of STIX objects (keys with the ingest right); answered with a status resource."""
    if not caller.can("ingest"):
        raise TaxiiError(403, "Forbidden", "this key may not add objects (needs role loader or above)")
    media = request.headers.get("content-type", "").replace(" ", "").lower()
    if not media.startswith("application/taxii+json") or ("version=" in media and "version=2.1" not in media):
        raise TaxiiError(415, "Unsupported Media Type", f"send {TAXII}")
    limit = _settings(request).max_payload
    too_large = TaxiiError(413, "Request Entity Too Large", f"at most {limit:,} bytes (max_content_length)")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large
    try:
        body = await request.body()
    except BodyTooLarge as exc:  # a chunked body, counted over the limit as it was read (BodyLimit)
        if exc.status_code != 413:
            raise
        raise too_large from None
    if len(body) > limit:
        raise too_large
    try:
        envelope = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise TaxiiError(400, "Bad envelope", "the body is not JSON") from None
    objects = envelope.get("objects") if isinstance(envelope, dict) else None
    if not isinstance(objects, list):
        raise TaxiiError(400, "Bad envelope", 'expected an envelope: {"objects": [...]}')
    status = await _work(
        request, _ingest, collection_id, _default_tlp(request), objects, caller.name, caller.key_id
    )
    return taxii_response({k: v for k, v in status.items() if k != "owner"}, 202)


@router.get(f"/{ROOT}/status/{{status_id}}/")
async def get_status(request: Request, caller: Reader, status_id: str) -> Response:
    """The status of a POST, to the key that made it."""
    found = await _work(request, statuses.find, status_id, caller.key_id)
    if found is None:
        raise TaxiiError(404, "Status not found", f"no status {status_id!r}")
    return taxii_response(found)


def install(app: FastAPI) -> None:
    """Serve TAXII 2.1 under ``/taxii2/`` on ``app``."""
    app.state.taxii_exports = Exports()

    @app.exception_handler(TaxiiError)
    async def taxii_error(request: Request, exc: TaxiiError) -> Response:
        return error_response(exc)

    app.include_router(router)
