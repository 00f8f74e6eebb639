"""Per-request GraphQL context: the caller, the store, the time-budgeted runner and the DataLoaders."""

from __future__ import annotations

from typing import Annotated, TypeAlias

import strawberry
from fastapi import Depends, HTTPException, Request
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from backend.api.answers import Answers
from backend.api.auth import Caller, current_caller
from backend.api.deps import Runner, StoreHolder
from backend.settings import ApiSettings
from graph_model.entities import Edge, Node
from graph_model.errors import NotFound, StoreError
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from graph_model.store.base import Link
from graph_model.store.neo4j_store import Neo4jStore


class Context(BaseContext):
    """Built once per request; DataLoaders cache and batch node lookups within that request only."""

    def __init__(
        self,
        caller: Caller,
        store: GraphStore,
        holder: StoreHolder,
        settings: ApiSettings,
        request_id: str,
        answers: Answers | None = None,
    ) -> None:
        super().__init__()
        self.caller = caller
        self.answers = answers or Answers()
        self.store = store
        self.settings = settings
        self.request_id = request_id
        self.run = Runner(holder, settings.time_budget)
        self.entities: DataLoader[str, Node | None] = DataLoader(load_fn=self._load_entities)
        self.edge_records: DataLoader[Link, Edge] = DataLoader(load_fn=self._load_edges)

    @property
    def clearance(self) -> TLP:
        return self.caller.clearance

    @property
    def analyst(self) -> str:
        """Who is asking: the API key's NAME (or its fingerprint), recorded with every write."""
        return self.caller.name

    async def _load_entities(self, keys: list[str]) -> list[Node | None]:
        store = self.store
        if isinstance(store, Neo4jStore):  # a network round trip: awaited on the loop, no worker thread
            found = await self.run.on_loop(store.get_many_async, keys, clearance=self.clearance)
        else:
            found = await self.run.quick(store.get_many, keys, clearance=self.clearance)
        return [found.get(k) for k in keys]

    async def _load_edges(self, links: list[Link]) -> list[Edge | BaseException]:
        """The records of links a query returned without them, in one read per request."""
        found = {e.key: e for e in await self.run(self.store.edges, links, clearance=self.clearance)}
        gone = NotFound("the relationship is no longer in the store")
        return [found.get(link.key, gone) for link in links]


async def get_context(request: Request, caller: Annotated[Caller, Depends(current_caller)]) -> Context:
    """The GraphQL context getter: 401 without a valid key, 503 while the store cannot be reached."""
    holder: StoreHolder = request.app.state.store_holder
    try:
        # Opening may take seconds (connecting, creating Neo4j's indexes): not on the event loop.
        store = await holder.aget()
    except StoreError as exc:
        raise HTTPException(status_code=503, detail=f"the store is unavailable: {exc}") from None
    state = request.app.state
    return Context(caller, store, holder, state.settings.api, request.state.request_id, state.answers)


Info: TypeAlias = strawberry.Info[Context, None]
