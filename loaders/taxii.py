"""A TAXII 2.1 collection as pages of STIX objects, read with ``taxii2-client`` and loaded as STIX.

Each page (an envelope of up to ``per_request`` objects) is loaded on its own through the STIX loader, and
the server's ``X-TAXII-Date-Added-Last`` of the page is where the next pull resumes (the caller keeps it,
e.g. in the store's state). Marking definitions a page does not carry resolve as the standard TLP ones
or, when unknown, as TLP:RED (``loaders.markings``).
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from taxii2client.exceptions import TAXIIServiceException
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from loaders import stix
from loaders.markings import Markings
from loaders.records import LoadContext, Record, SourceError

PER_REQUEST = 1000


@dataclass(frozen=True, slots=True)
class Page:
    """One envelope: its objects, and the date added of its last object (the resume point)."""

    objects: list[dict[str, Any]]
    date_added_last: str | None


def _root(url: str, user: str | None, password: str | None) -> ApiRoot:
    """The API root at ``url``, or the default root of the discovery resource at ``url``."""
    try:
        server = Server(url, user=user, password=password)
        server.refresh()
        if server.default is not None:
            return server.default
        if server.api_roots:
            return server.api_roots[0]
    except requests.HTTPError as exc:
        if exc.response is not None and exc.response.status_code in (401, 403):
            unset = "" if password else ": no password was sent (set CRIMEGRAPH_TAXII_PASSWORD)"
            raise SourceError(
                f"{url}: the TAXII server refused the credentials (HTTP {exc.response.status_code}){unset}"
            ) from None
    except (TAXIIServiceException, requests.RequestException, ValueError, KeyError):
        pass  # not a discovery resource: an API root itself
    return ApiRoot(url, user=user, password=password)


def collection(url: str, collection_id: str, *, user: str | None, password: str | None) -> Collection:
    """The collection ``collection_id`` (its id or title) of the server at ``url``; SourceError if the
    server cannot be reached, refuses the credentials or has no such collection."""
    if password is not None and not user:
        user = "crimegraph"  # HTTP Basic needs a user name; crimegraph's server reads only the password
    try:
        root = _root(url if url.endswith("/") else url + "/", user, password)
        found = [c for c in root.collections if collection_id in (c.id, c.title, getattr(c, "alias", None))]
    except (TAXIIServiceException, requests.RequestException, ValueError, KeyError) as exc:
        raise SourceError(f"{url}: cannot read the TAXII server: {_first_line(exc)}") from None
    if not found:
        raise SourceError(f"{url}: no collection {collection_id!r}")
    if not found[0].can_read:
        raise SourceError(f"{url}: collection {collection_id!r} may not be read with these credentials")
    return found[0]


def _first_line(exc: BaseException) -> str:
    """What went wrong, in words: the server's own TAXII error, or what kept the request from it."""
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        response = exc.response
        try:
            said = response.json()
            told = said.get("description") or said.get("title") if isinstance(said, dict) else None
        except ValueError:
            told = None
        return f"the server answered HTTP {response.status_code}" + (f": {told}" if told else "")
    url = getattr(exc.request, "url", None) if isinstance(exc, requests.RequestException) else None
    where = urlsplit(url).netloc if url else "the server"
    if isinstance(exc, requests.exceptions.SSLError):
        return (
            f"the TLS handshake with {where} failed (if the server speaks plain HTTP, "
            "give an http:// URL): " + _last_reason(exc)
        )
    if isinstance(exc, requests.Timeout):
        return f"{where} did not answer in time"
    if isinstance(exc, requests.ConnectionError):
        return f"cannot connect to {where}: " + _last_reason(exc)
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def _last_reason(exc: BaseException) -> str:
    """The innermost reason urllib3 gives (``[Errno 111] Connection refused``, ``wrong version number``)."""
    text = str(exc)
    errno = re.search(r"\[Errno -?\d+\] [^'\")]+", text)
    if errno:
        return errno.group(0)
    ssl = re.search(r"\[SSL: [A-Z_]+\] ([^'\"(]+)", text)
    if ssl:
        return ssl.group(1).strip()
    return type(exc).__name__


def pages(source: Collection, *, added_after: str | None, per_request: int = PER_REQUEST) -> Iterator[Page]:
    """The collection's objects added after ``added_after``, page by page (the server's ``next``)."""
    last: list[str | None] = [None]

    def remember(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        last[0] = response.headers.get("X-TAXII-Date-Added-Last")

    session: requests.Session = source._conn.session  # the client's own session: its response headers
    session.hooks["response"].append(remember)
    filters = {"added_after": added_after} if added_after else {}
    try:
        for envelope in as_pages(source.get_objects, per_request=per_request, **filters):
            yield Page(list(envelope.get("objects") or []), last[0])
    except (TAXIIServiceException, requests.RequestException, ValueError) as exc:
        raise SourceError(f"{source.url}: {_first_line(exc)}") from None
    finally:
        session.hooks["response"].remove(remember)


def records(
    page: Page, ctx: LoadContext, name: str = "taxii-page", markings: Markings | None = None
) -> Iterator[Record]:
    """The page's objects as records of the STIX loader. ``markings``: the marking definitions earlier pages
    of the same pull gave (a server sends each once, with the first object that needs it); the page's own
    are added to it."""
    with tempfile.TemporaryDirectory(prefix="crimegraph-taxii-") as folder:
        path = Path(folder) / f"{name}.json"
        path.write_text(json.dumps({"type": "bundle", "id": "bundle--taxii", "objects": page.objects}))
        yield from stix.read(path, ctx, markings)
