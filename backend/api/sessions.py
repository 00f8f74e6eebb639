"""Browser sessions: signed in once with an API key, a browser carries a session cookie instead of the key.

The cookie holds a random session id and its HMAC signature (the secret from settings), never the key.
The session itself lives in the store's state (namespace ``browser-session``, keyed by a digest of the id),
so every ``serve --workers`` process sees it, its server-side expiry and its end at sign-out. A session
names the key it was opened with by fingerprint: the caller's role and clearance are the key's current
ones, and a key removed from the settings ends its sessions. Requests that change something (GraphQL,
POSTed views) with the cookie must carry the session's CSRF token in a header a cross-site form cannot
send; the login throttle counts wrong tries per client address in the store too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException, Request, status

from backend.api.auth import Caller, KeyRing
from backend.api.deps import Runner, StoreHolder
from graph_model.provenance import TLP
from graph_model.store import GraphStore

NAMESPACE = "browser-session"
THROTTLE = "login-tries"
COOKIE = "crimegraph_session"
CSRF_HEADER = "x-crimegraph-csrf"
TRIES = 10  # wrong keys per client address ...
TRY_WINDOW = 60.0  # ... per this many seconds, then 429
RECENT = 10  # views a session remembers for the start page


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in browser: the key it signed in with (fingerprint), its CSRF token and expiry."""

    id: str
    key_id: str
    csrf: str
    expires: float
    # (path, title, clearance read at) of the views it opened, latest first: a title names what was drawn,
    # so the start page lists only those read at or below the key's clearance of the moment.
    recent: tuple[tuple[str, str, str], ...] = ()


class Sessions:
    """Opening, reading and ending sessions in a store's state; signing and checking their cookies."""

    def __init__(self, secret: bytes, hours: float) -> None:
        self._secret = secret
        self.seconds = hours * 3600.0

    @classmethod
    def from_settings(cls, session_secret: str, api_keys: str, hours: float) -> Sessions:
        """With ``session_secret``, or one derived from the configured keys (as secret as they are, the
        same in every worker process, and changed whenever the keys are)."""
        material = session_secret or "crimegraph-session\0" + api_keys
        return cls(hashlib.sha256(material.encode()).digest(), hours)

    def _signature(self, sid: str) -> str:
        return hmac.new(self._secret, sid.encode(), hashlib.sha256).hexdigest()

    def cookie(self, sid: str) -> str:
        return f"{sid}.{self._signature(sid)}"

    def session_id(self, cookie: str | None) -> str | None:
        """The session id of a cookie whose signature holds, else None."""
        sid, _, signature = (cookie or "").partition(".")
        if not sid or not signature or not hmac.compare_digest(signature, self._signature(sid)):
            return None
        return sid

    def open(self, store: GraphStore, caller: Caller) -> Session:
        session = Session(
            id=secrets.token_urlsafe(32),
            key_id=caller.key_id,
            csrf=secrets.token_urlsafe(24),
            expires=time.time() + self.seconds,
        )
        self._write(store, session)
        return session

    def read(self, store: GraphStore, cookie: str | None) -> Session | None:
        """The live session of a cookie; an expired one is deleted and None."""
        sid = self.session_id(cookie)
        if sid is None:
            return None
        record = store.get_state(NAMESPACE, _digest(sid))
        if record is None:
            return None
        if float(record.get("expires", 0)) <= time.time():
            store.delete_state(NAMESPACE, _digest(sid), versioned=False)
            return None
        return Session(
            id=sid,
            key_id=str(record["key_id"]),
            csrf=str(record["csrf"]),
            expires=float(record["expires"]),
            recent=tuple(
                (str(item[0]), str(item[1]), str(item[2]))
                for item in record.get("recent", [])
                if isinstance(item, list) and len(item) == 3
            ),
        )

    def end(self, store: GraphStore, cookie: str | None) -> bool:
        sid = self.session_id(cookie)
        return sid is not None and store.delete_state(NAMESPACE, _digest(sid), versioned=False)

    def remember(self, store: GraphStore, session: Session, path: str, title: str, clearance: TLP) -> None:
        """Put a view on the session's recent list (the start page lists them)."""
        entry = (path, title, clearance.label)
        recent = [entry, *(item for item in session.recent if item[0] != path)][:RECENT]
        self._write(store, Session(session.id, session.key_id, session.csrf, session.expires, tuple(recent)))

    def _write(self, store: GraphStore, session: Session) -> None:
        record: dict[str, Any] = {
            "key_id": session.key_id,
            "csrf": session.csrf,
            "expires": session.expires,
            "recent": [list(item) for item in session.recent],
        }
        store.put_state(NAMESPACE, _digest(session.id), record, versioned=False)


def recent_views(session: Session | None, clearance: TLP) -> list[tuple[str, str]]:
    """(path, title) of the views a session opened that were read at or below ``clearance``: a key whose
    clearance was lowered since does not see the titles (names) it could see before."""
    if session is None:
        return []
    return [(path, title) for path, title, level in session.recent if TLP.parse(level) <= clearance]


def _digest(sid: str) -> str:
    """What the store keys a session by: reading the store does not give a usable session id."""
    return hashlib.sha256(sid.encode()).hexdigest()


def throttled(store: GraphStore, client: str) -> bool:
    """Whether this client address used up its wrong tries in the window."""
    return store.incr_state(THROTTLE, client, TRY_WINDOW, by=0) >= TRIES


def wrong_try(store: GraphStore, client: str) -> int:
    """Count a wrong key from this address; how many in the window."""
    return store.incr_state(THROTTLE, client, TRY_WINDOW)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def session_caller(keyring: KeyRing, session: Session) -> Caller | None:
    """The caller a session acts as: its key's current role and clearance (None if the key is gone)."""
    return keyring.by_id(session.key_id)


def wants_page(request: Request) -> bool:
    """A browser navigating (it asks for HTML), rather than a script asking for JSON."""
    return request.method in ("GET", "HEAD") and "text/html" in request.headers.get("accept", "")


def sign_in_first(request: Request) -> HTTPException:
    """303 to the sign-in form (coming back here afterwards) for a browser; 401 for everyone else."""
    if wants_page(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return HTTPException(
            status_code=status.HTTP_303_SEE_OTHER,
            headers={"Location": f"/login?next={quote(target, safe='')}"},
        )
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="sign in at /login, or send an API key as 'Authorization: Bearer KEY'",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def signed_in(request: Request) -> Session | None:
    """The live session of the request's cookie, if any (pages open to everyone that say more to a
    signed-in browser, such as GraphiQL)."""
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    sessions: Sessions = request.app.state.sessions
    holder: StoreHolder = request.app.state.store_holder
    store = await holder.aget()
    session = await Runner(holder, request.app.state.settings.api.time_budget).quick(
        sessions.read, store, cookie
    )
    if session is None or session_caller(request.app.state.keyring, session) is None:
        return None
    return session


async def browser_caller(request: Request) -> Caller:
    """The caller of a signed-in browser's session cookie; for a request that is not a plain read, only
    with the session's CSRF token in the ``X-Crimegraph-CSRF`` header."""
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        raise sign_in_first(request)
    sessions: Sessions = request.app.state.sessions
    holder: StoreHolder = request.app.state.store_holder
    store = await holder.aget()
    session = await Runner(holder, request.app.state.settings.api.time_budget).quick(
        sessions.read, store, cookie
    )
    caller = session_caller(request.app.state.keyring, session) if session is not None else None
    if session is None or caller is None:
        raise sign_in_first(request)
    if request.method not in ("GET", "HEAD"):
        token = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(token.encode(), session.csrf.encode()):
            raise HTTPException(
                status_code=status.HTTP_403_FORBIDDEN,
                detail="a request made with the session cookie needs the page's X-Crimegraph-CSRF header",
            )
    request.state.session = session
    request.state.csrf = session.csrf
    return caller
