"""``crimegraph load taxii``: pull a partner's TAXII 2.1 collection into the store, resumably.

The last ``X-TAXII-Date-Added-Last`` the server gave is kept in the store's state (namespace
``taxii-client``, one record per server URL and collection) after each page is written, so the next pull
(or a pull killed half-way and run again) asks only for what was added after it; with it, the marking
definitions the server has sent, for objects added later that refer to them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from graph_model.store import GraphStore
from loaders import IngestSummary, LoadContext, ingest
from loaders import taxii as client
from loaders.markings import Markings, definitions_in

STATE = "taxii-client"


def overlap(moment: str) -> str:
    """One second before ``moment`` (a TAXII timestamp), as a TAXII timestamp."""
    try:
        when = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    except ValueError:
        return moment
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - timedelta(seconds=1)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def resume_key(url: str, collection_id: str) -> str:
    return f"{url.rstrip('/')}/|{collection_id}"


def pull(
    store: GraphStore,
    ctx: LoadContext,
    url: str,
    collection_id: str,
    *,
    added_after: str | None,
    user: str | None,
    password: str | None,
    rejects: TextIO | None = None,
    batch_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    per_request: int = client.PER_REQUEST,
) -> tuple[IngestSummary, str | None, str | None]:
    """Load the collection's objects added after ``added_after`` (default: where the last pull of this
    collection into this store ended). Returns the summary, where it started and where it ended."""
    source = client.collection(url, collection_id, user=user, password=password)
    key = resume_key(url, source.id)  # the collection's id, however the command named it
    start = added_after or (store.get_state(STATE, key) or {}).get("added_after")
    total = IngestSummary()
    last = start
    # Servers date additions to the second (crimegraph does): an object added later in the same second as
    # the resume point has the same date, and "added after" it would miss it. Ask from one second before;
    # what comes twice loads as nothing new.
    ask = overlap(start) if start and not added_after else start
    # A server sends each marking definition once, with the first object that needs it: the pages after it,
    # and the pulls after this one (kept with the resume point), need it too.
    saved = (store.get_state(STATE, key) or {}).get("markings")
    definitions: dict[str, Any] = dict(saved) if isinstance(saved, dict) else {}
    markings = Markings.of(definitions.values())
    for number, page in enumerate(client.pages(source, added_after=ask, per_request=per_request), 1):
        if page.objects:
            definitions.update(definitions_in(page.objects))
            records = client.records(page, ctx, f"{ctx.dataset}-page-{number}", markings)
            total.add(ingest(store, records, batch_size=batch_size, rejects=rejects, progress=progress))
        if page.date_added_last:
            last = page.date_added_last
            resume = {"added_after": last, "url": url, "collection": source.id, "markings": definitions}
            store.put_state(STATE, key, resume)
    return total, start, last
