"""The GraphQL schema: thin resolvers that check rights and limits, then call ``queries/`` in a worker
thread through the caller's clearance."""

from collections.abc import Callable
from typing import Annotated

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.scalars import JSON

from backend.api import types as t
from backend.api.context import Info
from backend.api.errors import ErrorCodes
from backend.api.ingest import ingest_payload
from backend.api.limits import MAX_DEPTH, document_limits, within
from backend.settings import ApiSettings
from graph_model.entities import Node
from graph_model.errors import InvalidArgument
from graph_model.provenance import TLP
from queries.scope import Scope, check_edge_set, check_kinds, parse_time


@strawberry.input(description="Which part of the graph a question is about; every field narrows it.")
class ScopeInput:
    keys: list[str] | None = strawberry.field(
        default=None, description="Limit to the neighbourhood of these entities (keys or identifiers)"
    )
    depth: int = strawberry.field(default=2, description=f"Hops around keys (0-{MAX_DEPTH})")
    community: str | None = strawberry.field(default=None, description="One community id")
    algorithm: str = strawberry.field(default="louvain", description="Community algorithm for `community`")
    kinds: list[str] | None = strawberry.field(default=None, description="Node kinds of the schema")
    edge_set: str | None = strawberry.field(default=None, description="A named edge set of the schema")
    since: str | None = strawberry.field(default=None, description="Links seen on or after (ISO 8601)")
    until: str | None = strawberry.field(default=None, description="Links seen on or before (ISO 8601)")
    limit: int = strawberry.field(default=5000, description="Most nodes around keys")

    def to_scope(self, info: Info) -> Scope:
        within("scope.limit", self.limit, info.context.settings.max_scope)
        scope = Scope(
            keys=tuple(self.keys or ()),
            depth=self.depth,
            community=self.community,
            algorithm=self.algorithm,
            kinds=tuple(self.kinds or ()),
            edge_set=self.edge_set,
            since=self.since,
            until=self.until,
            limit=self.limit,
        )
        return scope.check(info.context.store.model)


EMPTY_SCOPE = ScopeInput()

Kinds = Annotated[
    list[str] | None, strawberry.argument(description="Node kind names of the schema (none: every kind)")
]
EdgeSet = Annotated[str | None, strawberry.argument(description="A named edge set of the schema")]
First = Annotated[int, strawberry.argument(description="Page size")]
After = Annotated[str | None, strawberry.argument(description="Cursor of the last item already seen")]


def entity(node: Node) -> t.Entity:
    return t.Entity.of(node)


def _first(info: Info, first: int) -> int:
    return within("first", first, info.context.settings.max_page)


@strawberry.type
class Query:
    @strawberry.field(description="One entity by its key or any of its identifiers (e.g. attack:G0007).")
    async def node(self, info: Info, key: str) -> t.Entity:
        ctx = info.context
        ctx.caller.check("read")
        found = await ctx.entities.load(key)
        if found is None:
            from graph_model.errors import NotFound

            raise NotFound(f"no entity {key!r}")
        return entity(found)

    @strawberry.field(description="Full-text search over names, aliases and searchable properties.")
    async def search(
        self, info: Info, text: str, kinds: Kinds = None, first: First = 20, after: After = None
    ) -> t.Connection[t.Entity]:
        ctx = info.context
        ctx.caller.check("read")
        _first(info, first)
        offset = t.offset_after(after)
        checked = check_kinds(ctx.store.model, kinds)
        nodes = await ctx.run(
            ctx.store.search,
            text,
            clearance=ctx.clearance,
            kinds=sorted(checked) if checked else None,
            limit=offset + first + 1,
        )
        return t.page([entity(n) for n in nodes], offset, first)

    @strawberry.field(description="Entities within `depth` hops of `keys`, through visible links only.")
    async def neighbourhood(
        self,
        info: Info,
        keys: list[str],
        depth: int = 1,
        edge_set: EdgeSet = None,
        kinds: Kinds = None,
        since: str | None = None,
        until: str | None = None,
        limit: int = 500,
    ) -> t.Subgraph:
        ctx = info.context
        ctx.caller.check("read")
        within("depth", depth, MAX_DEPTH)
        within("limit", limit, ctx.settings.max_neighbourhood)
        within("keys", len(keys), 100)
        check_edge_set(ctx.store.model, edge_set)
        check_kinds(ctx.store.model, kinds)
        from graph_model.store.base import TimeWindow

        lo, hi = parse_time(since, "since"), parse_time(until, "until")
        window = TimeWindow(lo, hi) if lo or hi else None
        found = await ctx.run(
            ctx.store.neighbourhood,
            [(await _key(info, k)) for k in keys],
            clearance=ctx.clearance,
            depth=depth,
            edge_set=edge_set,
            kinds=kinds,
            window=window,
            limit=limit,
        )
        return t.Subgraph(
            nodes=[entity(n) for n in found.nodes.values()],
            edges=[t.Link.of(e) for e in found.edges.values()],
            truncated=found.truncated,
            hidden_count=0,
            collapsed=[],
        )

    @strawberry.field(description="Counts of what the caller can see: entities by kind, links by type.")
    async def stats(self, info: Info) -> t.Stats:
        ctx = info.context
        ctx.caller.check("read")
        return t.Stats.of(await ctx.run(ctx.store.stats, clearance=ctx.clearance))

    @strawberry.field(
        description="The schema: node kinds, their types and properties, edge kinds, edge sets."
    )
    def schema(self, info: Info) -> t.SchemaInfo:
        info.context.caller.check("read")
        return t.SchemaInfo.of(info.context.store.model)


async def _key(info: Info, identifier: str) -> str:
    found = await info.context.entities.load(identifier)
    if found is None:
        from graph_model.errors import NotFound

        raise NotFound(f"no entity {identifier!r}")
    return found.key


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Load one file's content (`payload`) of `format`, as `crimegraph load`.")
    async def ingest(
        self,
        info: Info,
        format: str,
        payload: str,
        filename: str | None = None,
        source: str = "api",
        tlp: str = "CLEAR",
        confidence: int = 50,
    ) -> t.IngestResult:
        ctx = info.context
        ctx.caller.check("ingest")
        if len(payload.encode()) > ctx.settings.max_payload:
            from graph_model.errors import LimitExceeded

            raise LimitExceeded(f"payload is over the limit of {ctx.settings.max_payload} bytes")
        within("confidence", confidence, 100, minimum=0)
        try:
            marking = TLP.parse(tlp)
        except ValueError as exc:
            raise InvalidArgument(str(exc)) from None
        summary, rejects = await ctx.run(
            ingest_payload,
            ctx.store,
            format,
            payload,
            filename=filename,
            source=source,
            tlp=marking,
            confidence=confidence,
        )
        return t.IngestResult(
            read=summary.read,
            nodes_new=summary.store.nodes_new,
            edges_new=summary.store.edges_new,
            merged=summary.store.nodes_merged + summary.store.edges_merged,
            rejected=summary.rejected,
            edges_pending=summary.store.edges_pending,
            rejects=[JSON(r) for r in rejects],
        )


class QuietSchema(strawberry.Schema):
    """Errors are logged by :class:`backend.api.errors.ErrorCodes` (only unexpected ones, with request id)."""

    def process_errors(self, errors: object, execution_context: object = None) -> None:
        return None


def build_schema(settings: ApiSettings) -> strawberry.Schema:
    extensions: list[Callable[[], SchemaExtension] | type[SchemaExtension]] = [
        *document_limits(settings),
        ErrorCodes,
    ]
    return QuietSchema(query=Query, mutation=Mutation, extensions=extensions)


__all__ = ["JSON", "EMPTY_SCOPE", "Query", "Mutation", "ScopeInput", "build_schema"]
