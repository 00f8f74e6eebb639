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
from backend.api.limits import MAX_DEPTH, at_least, document_limits, within
from backend.settings import ApiSettings
from graph_model.errors import InvalidArgument, LimitExceeded, NotFound
from graph_model.provenance import TLP
from queries import associates, centrality, communities, money, neighbourhood, paths, pivots, search, timeline
from queries.disruption.dismantle import dismantle
from queries.disruption.plan import takedown_plan
from queries.disruption.scores import disruption_scores
from queries.disruption.simulate import simulate_takedown
from queries.info import schema_info
from queries.scope import Scope


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


Kinds = Annotated[
    list[str] | None, strawberry.argument(description="Node kind names of the schema (none: every kind)")
]
EdgeSet = Annotated[str | None, strawberry.argument(description="A named edge set of the schema")]
First = Annotated[int, strawberry.argument(description="Page size")]
After = Annotated[str | None, strawberry.argument(description="Cursor of the last item already seen")]
Since = Annotated[str | None, strawberry.argument(description="Links seen on or after (ISO 8601)")]
Until = Annotated[str | None, strawberry.argument(description="Links seen on or before (ISO 8601)")]
ScopeArg = Annotated[
    ScopeInput | None, strawberry.argument(description="The part of the graph (default: all)")
]


def _paging(info: Info, first: int, after: str | None, name: str = "first") -> tuple[int, int]:
    """(offset, how many to ask the query for: one more than the page, to tell a next page)."""
    within(name, first, info.context.settings.max_page)
    offset = t.offset_after(after)
    return offset, offset + first + 1


def _scope(info: Info, scope: ScopeInput | None) -> Scope:
    return (scope or ScopeInput()).to_scope(info)


@strawberry.type
class Query:
    @strawberry.field(description="One entity by its key or any of its identifiers (e.g. attack:G0007).")
    async def node(self, info: Info, key: str) -> t.Entity:
        ctx = info.context
        ctx.caller.check("read")
        found = await ctx.entities.load(key)
        if found is None:
            raise NotFound(f"no entity {key!r}")
        return t.Entity.of(found)

    @strawberry.field(description="Full-text search over names, aliases and searchable properties.")
    async def search(
        self, info: Info, text: str, kinds: Kinds = None, first: First = 20, after: After = None
    ) -> t.Connection[t.Entity]:
        ctx = info.context
        ctx.caller.check("read")
        offset, limit = _paging(info, first, after)
        # Lucene refuses a prefix query over one very long word with an internal error.
        within("text length", len(text), MAX_TEXT, minimum=0)
        found = await ctx.run(
            search.search, ctx.store, ctx.clearance, text, kinds=kinds, limit=limit - offset, offset=offset
        )
        return t.page([t.Entity.of(n) for n in found], offset, first)

    @strawberry.field(
        description="Entities within `depth` hops of `keys` through visible links; hubs with more than "
        "`hubCap` neighbours come back collapsed, with how many neighbours were hidden."
    )
    async def neighbourhood(
        self,
        info: Info,
        keys: list[str],
        depth: int = 1,
        edge_set: EdgeSet = None,
        kinds: Kinds = None,
        since: Since = None,
        until: Until = None,
        limit: int = 500,
        hub_cap: int = 50,
    ) -> t.Subgraph:
        ctx = info.context
        ctx.caller.check("read")
        within("depth", depth, MAX_DEPTH, minimum=0)
        within("limit", limit, ctx.settings.max_neighbourhood)
        within("hubCap", hub_cap, ctx.settings.max_neighbourhood)
        found = await ctx.run(
            neighbourhood.outline,
            ctx.store,
            ctx.clearance,
            keys,
            depth=depth,
            edge_set=edge_set,
            kinds=kinds,
            since=since,
            until=until,
            limit=limit,
            hub_cap=hub_cap,
        )
        return t.Subgraph.outlined(found)

    @strawberry.field(description="Shortest, then the k shortest, simple paths between two entities.")
    async def paths(
        self,
        info: Info,
        source: str,
        target: str,
        max_length: int = 6,
        k: Annotated[int, strawberry.argument(description="How many paths (a page)")] = 1,
        after: After = None,
        edge_set: EdgeSet = None,
        kinds: Kinds = None,
    ) -> t.Connection[t.PathResult]:
        ctx = info.context
        ctx.caller.check("analyse")
        within("maxLength", max_length, ctx.settings.max_path_length)
        within("k", k, ctx.settings.max_paths)
        offset = t.offset_after(after)
        within("after + k", offset + k, ctx.settings.max_paths)
        found = await ctx.run(
            paths.paths,
            ctx.store,
            ctx.clearance,
            source,
            target,
            max_length=max_length,
            k=offset + k + 1,
            edge_set=edge_set,
            kinds=kinds,
        )
        return t.page([t.PathResult.of(p) for p in found[offset:]], offset, k)

    @strawberry.field(description="Entities linked to every one of `keys` first, then to most of them.")
    async def common_associates(
        self,
        info: Info,
        keys: list[str],
        edge_set: EdgeSet = None,
        kinds: Kinds = None,
        first: First = 20,
        after: After = None,
    ) -> t.Connection[t.RankedEntity]:
        ctx = info.context
        ctx.caller.check("analyse")
        offset, limit = _paging(info, first, after)
        found = await ctx.run(
            associates.common_associates,
            ctx.store,
            ctx.clearance,
            keys,
            edge_set=edge_set,
            kinds=kinds,
            limit=limit,
        )
        return t.page([t.RankedEntity.of(x) for x in found[offset:]], offset, first)

    @strawberry.field(
        description="Entities sharing infrastructure or wallets with `key`, ranked; each shared pivot "
        "counts 1/ln(1 + its degree), so big hosters, exchanges and popular tools weigh little."
    )
    async def shared_infrastructure(
        self, info: Info, key: str, first: First = 20, after: After = None
    ) -> t.Connection[t.RankedEntity]:
        ctx = info.context
        ctx.caller.check("analyse")
        offset, limit = _paging(info, first, after)
        found = await ctx.run(pivots.shared_infrastructure, ctx.store, ctx.clearance, key, limit=limit)
        return t.page([t.RankedEntity.of(x) for x in found[offset:]], offset, first)

    @strawberry.field(
        description="Time-respecting transfers out of (or into) a wallet, totals per destination, "
        "exchanges, mixers and cash-out services flagged."
    )
    async def money_flow(
        self,
        info: Info,
        wallet: str,
        direction: Annotated[str, strawberry.argument(description="out or in")] = "out",
        max_hops: int = 4,
        min_amount: float = 0.0,
        since: Since = None,
        until: Until = None,
        limit: int = 500,
    ) -> t.MoneyFlowResult:
        ctx = info.context
        ctx.caller.check("analyse")
        within("limit", limit, ctx.settings.max_neighbourhood)
        flow = await ctx.run(
            money.money_flow,
            ctx.store,
            ctx.clearance,
            wallet,
            direction=direction,
            max_hops=max_hops,
            min_amount=min_amount,
            since=since,
            until=until,
            limit=limit,
        )
        return t.MoneyFlowResult.of(flow)

    @strawberry.field(
        description="Communities of the scope's graph, largest first (ids stable for the same data)."
    )
    async def communities(
        self,
        info: Info,
        scope: ScopeArg = None,
        algorithm: Annotated[
            str, strawberry.argument(description="louvain, leiden or label_propagation")
        ] = "louvain",
        first: First = 20,
        after: After = None,
    ) -> t.Connection[t.CommunityResult]:
        ctx = info.context
        ctx.caller.check("analyse")
        offset, limit = _paging(info, first, after)
        found = await ctx.run(
            communities.communities,
            ctx.store,
            ctx.clearance,
            _scope(info, scope),
            algorithm=algorithm,
            limit=limit,
        )
        return t.page([t.CommunityResult.of(c) for c in found[offset:]], offset, first)

    @strawberry.field(description="The most central entities of the scope's graph.")
    async def centrality(
        self,
        info: Info,
        scope: ScopeArg = None,
        metric: Annotated[
            str, strawberry.argument(description="degree, betweenness, pagerank or eigenvector")
        ] = "degree",
        top: Annotated[int, strawberry.argument(description="Page size")] = 20,
        after: After = None,
    ) -> t.Connection[t.RankedEntity]:
        ctx = info.context
        ctx.caller.check("analyse")
        offset, limit = _paging(info, top, after, "top")
        found = await ctx.run(
            centrality.centrality, ctx.store, ctx.clearance, _scope(info, scope), metric=metric, top=limit
        )
        return t.page([t.RankedEntity.of(x) for x in found[offset:]], offset, top)

    @strawberry.field(description="An entity's links with the entity at the other end, by first/last seen.")
    async def timeline(
        self, info: Info, key: str, first: First = 50, after: After = None
    ) -> t.Connection[t.TimelineEntry]:
        ctx = info.context
        ctx.caller.check("read")
        offset, limit = _paging(info, first, after)
        found = await ctx.run(timeline.timeline, ctx.store, ctx.clearance, key, limit=limit)
        return t.page([t.TimelineEntry.of(e) for e in found[offset:]], offset, first)

    @strawberry.field(
        description="The schema: node kinds, their types and properties, edge kinds, edge sets."
    )
    def schema(self, info: Info) -> t.SchemaInfo:
        info.context.caller.check("read")
        return t.SchemaInfo.of(schema_info(info.context.store.model))

    @strawberry.field(description="Counts of what the caller can see: entities by kind, links by type.")
    async def stats(self, info: Info) -> t.Stats:
        ctx = info.context
        ctx.caller.check("read")
        return t.Stats.of(await ctx.run(ctx.store.stats, clearance=ctx.clearance))

    # -- disruption (issue 10) ---------------------------------------------------------------------

    @strawberry.field(description="Entities whose removal would hurt the scope's network most, explained.")
    async def disruption_scores(
        self,
        info: Info,
        scope: ScopeArg = None,
        metric: Annotated[
            str,
            strawberry.argument(
                description="composite, cut, betweenness, collective_influence, core, bridge ..."
            ),
        ] = "composite",
        top: Annotated[int, strawberry.argument(description="Page size")] = 20,
        after: After = None,
    ) -> t.Connection[t.TargetResult]:
        ctx = info.context
        ctx.caller.check("analyse")
        offset, limit = _paging(info, top, after, "top")
        found = await ctx.run(
            disruption_scores, ctx.store, ctx.clearance, _scope(info, scope), metric=metric, top=limit
        )
        return t.page([t.TargetResult.of(x) for x in found[offset:]], offset, top)

    @strawberry.field(
        description="The set of targets, within a budget of count or cost, that hurts the objective most; "
        "each pick with its cost and why, and the network before and after."
    )
    async def takedown_plan(
        self,
        info: Info,
        scope: ScopeArg = None,
        budget: int = 5,
        max_cost: float | None = None,
        costs: Annotated[
            JSON | None, strawberry.argument(description="Costs by kind, type, role or key (as a costs file)")
        ] = None,
        objective: Annotated[
            str, strawberry.argument(description="fragmentation, lcc, cashout or reach")
        ] = "fragmentation",
        group: Annotated[
            str | None, strawberry.argument(description="The group of the reach objective")
        ] = None,
        recovery: Annotated[
            float | None, strawberry.argument(description="Rewiring probability (0-1)")
        ] = None,
    ) -> t.PlanResult:
        ctx = info.context
        ctx.caller.check("analyse")
        within("budget", budget, MAX_BUDGET)
        if max_cost is not None:
            at_least("maxCost", max_cost)
        if costs is not None and not isinstance(costs, dict):
            raise InvalidArgument("costs is a JSON object (as a costs file)")
        plan = await ctx.run(
            takedown_plan,
            ctx.store,
            ctx.clearance,
            _scope(info, scope),
            budget=budget,
            max_cost=max_cost,
            objective=objective,
            costs=costs,
            group=group,
            recovery=_probability(recovery),
        )
        return t.PlanResult.of(plan)

    @strawberry.field(
        description="What removing these entities does to the scope's network, before recovery and after."
    )
    async def simulate_takedown(
        self,
        info: Info,
        remove: list[str],
        scope: ScopeArg = None,
        recovery: Annotated[
            float | None, strawberry.argument(description="Rewiring probability (0-1)")
        ] = None,
    ) -> t.PlanResult:
        ctx = info.context
        ctx.caller.check("analyse")
        within("remove", len(remove), MAX_BUDGET * 10)
        plan = await ctx.run(
            simulate_takedown,
            ctx.store,
            ctx.clearance,
            _scope(info, scope),
            remove,
            recovery=_probability(recovery),
        )
        return t.PlanResult.of(plan)

    @strawberry.field(description="A full removal order that keeps the giant component small early.")
    async def dismantle(self, info: Info, scope: ScopeArg = None, reinsertion: bool = True) -> t.PlanResult:
        ctx = info.context
        ctx.caller.check("analyse")
        plan = await ctx.run(
            dismantle, ctx.store, ctx.clearance, _scope(info, scope), reinsertion=reinsertion
        )
        return t.PlanResult.of(plan)


MAX_BUDGET = 100
MAX_TEXT = 200  # characters of search text


def _probability(value: float | None) -> float | None:
    if value is not None and not 0.0 <= value <= 1.0:
        raise InvalidArgument(f"recovery is a probability between 0 and 1, got {value}")
    return value


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


__all__ = ["Mutation", "Query", "ScopeInput", "build_schema"]
