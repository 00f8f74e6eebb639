"""What a request needs besides its caller: the store (reopened when it was unreachable) and a way to
run store work off the event loop within the request's time budget."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Annotated, TypeVar

import neo4j.exceptions
from fastapi import Depends, Request

from graph_model.errors import LimitExceeded, StoreError
from graph_model.store import GraphStore

T = TypeVar("T")
RETRY_SECONDS = 2.0  # how often an unreachable store is tried again, at most


class StoreHolder:
    """The app's store. Opened at start-up when possible; while it cannot be opened every request gets
    StoreError (HTTP 503) and it is tried again, so the API recovers without a restart."""

    def __init__(
        self,
        store: GraphStore | None = None,
        opener: Callable[[], GraphStore] | None = None,
        *,
        read_timeout: float | None = None,
    ) -> None:
        self._store = store
        self._opener = opener
        self._read_timeout = read_timeout
        self._failed_at = 0.0
        self._error = "the store is not open"
        self._guard = threading.Lock()
        self.lock: AbstractContextManager[object] = nullcontext()
        # Set for a store whose reads are local work without waiting (see Runner.quick).
        self.local_lock: threading.Lock | None = None
        if store is not None:
            self._configure(store)

    @property
    def store(self) -> GraphStore | None:
        return self._store

    def _configure(self, store: GraphStore) -> None:
        from graph_model.store.embedded import EmbeddedStore
        from graph_model.store.neo4j_store import Neo4jStore

        if isinstance(store, Neo4jStore) and self._read_timeout:
            store.read_timeout = self._read_timeout
        # One SQLite connection and its in-memory index serve every request: one at a time. The Neo4j
        # driver is thread-safe and runs each read in its own session.
        local = threading.Lock() if isinstance(store, EmbeddedStore) else None
        self.local_lock = local
        self.lock = local if local is not None else nullcontext()

    def get(self) -> GraphStore:
        """The store, opening it if it is not open yet; StoreError while it cannot be reached."""
        if self._store is not None:
            return self._store
        with self._guard:
            if self._store is not None:
                return self._store
            if self._opener is None:
                raise StoreError(self._error)
            if time.monotonic() - self._failed_at < RETRY_SECONDS and self._failed_at:
                raise StoreError(self._error)
            try:
                store = self._opener()
            except StoreError as exc:
                self._failed_at = time.monotonic()
                self._error = str(exc)
                raise
            self._configure(store)
            self._store = store
            return store

    async def aget(self) -> GraphStore:
        """:meth:`get` off the event loop when it may have to open the store (connecting, creating
        Neo4j's indexes can take seconds)."""
        if self._store is not None:
            return self._store
        return await asyncio.to_thread(self.get)

    async def aclose(self, *, owned: bool = True) -> None:
        """Close what the store opened on this event loop, then (``owned``: the holder opened the
        store) the store itself."""
        from graph_model.store.neo4j_store import Neo4jStore

        if isinstance(self._store, Neo4jStore):
            await self._store.close_async()
        if owned:
            self.close()

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def get_store(request: Request) -> GraphStore:
    """FastAPI dependency: the app's store (``request.app.state.store``); StoreError (503) if unreachable."""
    holder: StoreHolder = request.app.state.store_holder
    store = holder.get()
    request.app.state.store = store
    return store


StoreDep = Annotated[GraphStore, Depends(get_store)]


def translate_store_errors(action: Callable[[], T]) -> T:
    """Run ``action``; a driver's connection failure becomes StoreError, a server timeout LimitExceeded."""
    with store_errors():
        return action()


@contextmanager
def store_errors() -> Iterator[None]:
    """:func:`translate_store_errors` for the block."""
    try:
        yield
    except (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired) as exc:
        raise StoreError(f"Neo4j is unreachable: {exc}; try again when it is back") from exc
    except neo4j.exceptions.ClientError as exc:
        if "TransactionTimedOut" in (exc.code or "") or "TransactionTimedout" in (exc.code or ""):
            raise LimitExceeded("the query ran longer than the Neo4j transaction timeout") from exc
        raise


class Runner:
    """Runs store work in a worker thread (the event loop keeps serving) before a request's deadline."""

    def __init__(self, holder: StoreHolder, budget: float) -> None:
        self.holder = holder
        self.budget = budget
        self.deadline = time.monotonic() + budget

    def _spent(self) -> LimitExceeded:
        return LimitExceeded(f"the request ran out of its time budget ({self.budget:g} s)")

    async def __call__(self, fn: Callable[..., T], /, *args: object, **kwargs: object) -> T:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise self._spent()
        lock = self.holder.lock

        def work() -> T:
            with lock:
                if time.monotonic() > self.deadline:  # waited for the store past the budget
                    raise self._spent()
                return translate_store_errors(lambda: fn(*args, **kwargs))

        try:
            return await asyncio.wait_for(asyncio.to_thread(work), remaining)
        except TimeoutError:
            raise self._spent() from None

    async def on_loop(self, fn: Callable[..., Awaitable[T]], /, *args: object, **kwargs: object) -> T:
        """Await ``fn``, a coroutine function that reads a remote store without blocking the event loop,
        within the request's time budget and with the store's errors translated."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise self._spent()
        try:
            with store_errors():
                async with asyncio.timeout(remaining):  # no extra task, unlike wait_for
                    return await fn(*args, **kwargs)
        except TimeoutError:
            raise self._spent() from None

    async def quick(self, fn: Callable[..., T], /, *args: object, **kwargs: object) -> T:
        """Run ``fn``, a read bounded to a few rows (entities by key), on the event loop itself when the
        store is local and free; otherwise as :meth:`__call__` does.

        Handing such a read to a worker thread and back costs several times the read (thread wake-ups
        and GIL hand-overs between the loop and the worker: measured 3.7 ms per node lookup against
        0.2 ms of store work at 50 clients). The store's lock is only tried, never waited for, so the
        loop is never held up behind a long question another request runs in a worker.
        """
        lock = self.holder.local_lock
        if lock is None or not lock.acquire(blocking=False):
            return await self(fn, *args, **kwargs)
        try:
            if time.monotonic() > self.deadline:
                raise self._spent()
            return fn(*args, **kwargs)
        finally:
            lock.release()
