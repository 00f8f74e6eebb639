"""The GraphQL schema: thin resolvers that check rights and limits, then call ``queries/`` in a worker
thread through the caller's clearance."""

import enum
from collections.abc import Callable, Hashable, Sequence
from typing import Annotated, Any, TypeVar

import strawberry
from graphql import GraphQLEnumType, GraphQLObjectType
from strawberry.extensions import SchemaExtension
from strawberry.scalars import JSON
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from backend.api import types as t
from backend.api.context import Info
from backend.api.enums import (
    CentralityMetric,
    CommunityAlgorithm,
    Direction,
    EdgeSet,
    IngestFormat,
    Metric,
    NodeKind,
    Objective,
    Tlp,
    value_of,
    values_of,
)
from backend.api.errors import ErrorCodes
from backend.api.ingest import ingest_seen
from backend.api.limits import MAX_DEPTH, DocumentCache, document_cache, document_limits, within
from backend.api.paging import After, Before, Connection, First, Last, Page, connection
from backend.settings import ApiSettings
from graph_model.errors import InvalidArgument, LimitExceeded
from graph_model.provenance import TLP
from queries import (
    associates,
    centrality,
    communities,
    money,
    neighbourhood,
    neighbours,
    paths,
    pivots,
    search,
    timeline,
)
from queries.disruption.dismantle import dismantle
from queries.disruption.limits import check_remove
from queries.disruption.plan import check_request, takedown_plan
from queries.disruption.recovery import check_probability
from queries.disruption.scores import disruption_scores
from queries.disruption.simulate import simulate_takedown
from queries.identify.candidates import DEFAULT_MIN_SCORE, identify
from queries.identify.decisions import decide
from queries.info import schema_info
from queries.scope import Scope

T = TypeVar("T")
MAX_TEXT = 200  # characters of search text

INCLUDE_UNDATED = (
    "With since/until: also keep links that carry no observed date (default: left out, and counted in "
    "undatedLeftOut where the answer has it)"
)
IncludeUndated = Annotated[bool, strawberry.argument(description=INCLUDE_UNDATED)]


@strawberry.input(description="Which part of the graph a question is about; every field narrows it.")
class ScopeInput:
    keys: list[str] | None = strawberry.field(
        default=None, description="Limit to the neighbourhood of these entities (keys or identifiers)"
    )
    depth: int = strawberry.field(default=2, description=f"Hops around keys (0-{MAX_DEPTH})")
    community: str | None = strawberry.field(
        default=None, description="Limit to one community (an id of the communities field)"
    )
    algorithm: CommunityAlgorithm = strawberry.field(
        default=CommunityAlgorithm["LOUVAIN"], description="How `community` was found"
    )
    kinds: list[NodeKind] | None = strawberry.field(
        default=None, description="Keep only these node kinds (none: every kind)"
    )
    edge_set: EdgeSet | None = strawberry.field(
        default=None, description="Follow only this edge set's links (none: every edge type)"
    )
    since: str | None = strawberry.field(
        default=None, description="Links seen on or after (ISO 8601), as the caller sees their dates"
    )
    until: str | None = strawberry.field(
        default=None, description="Links seen on or before (ISO 8601), as the caller sees their dates"
    )
    limit: int = strawberry.field(default=5000, description="Most entities around keys")
    include_undated: bool = strawberry.field(default=False, description=INCLUDE_UNDATED)

    def to_scope(self, info: Info) -> Scope:
        within("scope.limit", self.limit, info.context.settings.max_scope)
        scope = Scope(
            keys=tuple(self.keys or ()),
            depth=self.depth,
            community=self.community,
            algorithm=str(value_of(self.algorithm)),
            kinds=tuple(values_of(self.kinds) or ()),
            edge_set=value_of(self.edge_set),
            since=self.since,
            until=self.until,
            limit=self.limit,
            include_undated=self.include_undated,
        )
        return scope.check(info.context.store.model)


Kinds = Annotated[
    list[NodeKind] | None, strawberry.argument(description="Keep only these node kinds (none: every kind)")
]
EdgeSetArg = Annotated[
    EdgeSet | None, strawberry.argument(description="Follow only this edge set's links (none: every type)")
]
Since = Annotated[
    str | None,
    strawberry.argument(description="Links seen on or after (ISO 8601), as the caller sees their dates"),
]
Until = Annotated[
    str | None,
    strawberry.argument(description="Links seen on or before (ISO 8601), as the caller sees their dates"),
]
ScopeArg = Annotated[
    ScopeInput | None, strawberry.argument(description="The part of the graph (default: all of it)")
]
Key = Annotated[str, strawberry.argument(description="A node key or any identifier of the entity")]


def _page(
    info: Info, first: int | None, after: str | None, last: int | None, before: str | None, default: int
) -> Page:
    return Page.of(first, after, last, before, default=default, maximum=info.context.settings.max_page)


async def _kept(
    info: Info, key: Hashable, fn: Callable[..., Sequence[T]], /, *args: Any, **kwargs: Any
) -> Sequence[T]:
    """``fn(store, clearance, *args, **kwargs)``: a whole list, kept per ``key``, clearance and data version
    (:mod:`backend.api.answers`) so that walking its pages computes it once."""
    ctx = info.context
    version = await ctx.run(ctx.store.data_version)
    return await ctx.answers.get(
        (key, ctx.clearance, version), lambda: ctx.run(fn, ctx.store, ctx.clearance, *args, **kwargs)
    )


def _scope(info: Info, scope: ScopeInput | None) -> Scope:
    return (scope or ScopeInput()).to_scope(info)


@strawberry.type(description="Questions about the graph, each answered through the caller's clearance.")
class Query:
    @strawberry.field(
        description="One entity by its key or any of its identifiers (e.g. attack:G0007); null when "
        "there is none the caller may see."
    )
    async def node(self, info: Info, key: Key) -> t.Entity | None:
        ctx = info.context
        ctx.caller.check("read")
        found = await ctx.entities.load(key)
        return None if found is None else t.Entity.of(found)

    @strawberry.field(
        description="Entities by keys or identifiers, in the order asked; null for each the caller "
        "cannot see (or that does not exist)."
    )
    async def nodes(
        self,
        info: Info,
        keys: Annotated[
            list[str], strawberry.argument(description="Node keys or identifiers (at most the page limit)")
        ],
    ) -> list[t.Entity | None]:
        ctx = info.context
        ctx.caller.check("read")
        within("keys", len(keys), ctx.settings.max_page, minimum=0)
        found = await ctx.entities.load_many(keys)
        return [None if n is None else t.Entity.of(n) for n in found]

    @strawberry.field(
        description="Entities as analysts paste them: a key, STIX id or external id (G0007, T1059.001, "
        "CVE-2021-44228), a name or alias, a domain, IP, e-mail or wallet address (whole, or its first "
        "8 characters or more), or words of names. Ranked: an identifier exactly, then a name or alias "
        f"exactly, then an identifier's prefix, then words; ties by name and key. At most "
        f"{search.MAX_MATCHES:,} matches in all (narrow with kinds or more words)."
    )
    async def search(
        self,
        info: Info,
        text: Annotated[
            str, strawberry.argument(description=f"What to find (at most {MAX_TEXT} characters)")
        ],
        kinds: Kinds = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[t.Entity]:
        ctx = info.context
        ctx.caller.check("read")
        page = _page(info, first, after, last, before, 20)
        # Lucene refuses a prefix query over one very long word with an internal error.
        within("text length", len(text), MAX_TEXT, minimum=0)
        names = values_of(kinds)
        found = await _kept(info, ("search", text, tuple(names or ())), search.ranked, text, kinds=names)
        return connection(found, page, lambda hit: t.Entity.of(hit.node))

    @strawberry.field(
        description="Entities within `depth` hops of `keys` through visible links; hubs with more than "
        "`hubCap` neighbours come back collapsed, with how many neighbours were hidden (page through "
        "a hub's links with `neighbours`)."
    )
    async def neighbourhood(
        self,
        info: Info,
        keys: Annotated[list[str], strawberry.argument(description="Node keys or identifiers to start from")],
        depth: Annotated[int, strawberry.argument(description=f"Hops (0-{MAX_DEPTH})")] = 1,
        edge_set: EdgeSetArg = None,
        kinds: Kinds = None,
        since: Since = None,
        until: Until = None,
        limit: Annotated[int, strawberry.argument(description="Most entities returned")] = 500,
        hub_cap: Annotated[
            int, strawberry.argument(description="Neighbours shown per entity before it is collapsed")
        ] = 50,
        include_undated: IncludeUndated = False,
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
            edge_set=value_of(edge_set),
            kinds=values_of(kinds),
            since=since,
            until=until,
            limit=limit,
            hub_cap=hub_cap,
            include_undated=include_undated,
        )
        return t.Subgraph.outlined(found)

    @strawberry.field(
        description="One entity's links, each with the entity at its other end and its direction, "
        "ordered by the other entity's key, then link type, then link key; totalCount is how many "
        "the caller may see (a hub's `+N more`)."
    )
    async def neighbours(
        self,
        info: Info,
        key: Key,
        edge_set: EdgeSetArg = None,
        kinds: Annotated[
            list[NodeKind] | None,
            strawberry.argument(description="Keep only links to entities of these kinds (none: every kind)"),
        ] = None,
        since: Since = None,
        until: Until = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        include_undated: IncludeUndated = False,
    ) -> t.NeighbourConnection:
        ctx = info.context
        ctx.caller.check("read")
        page = _page(info, first, after, last, before, 50)
        asked = {
            "edge_set": value_of(edge_set),
            "kinds": values_of(kinds),
            "since": since,
            "until": until,
            "include_undated": include_undated,
        }
        if page.last is None and page.reach is not None:  # forward: the page and one more are read
            start, stop = page.start, page.reach
        else:  # backward: the count first, then the page
            counted = await ctx.run(neighbours.neighbours, ctx.store, ctx.clearance, key, limit=0, **asked)
            start, stop = page.window(counted.total)
        found = await ctx.run(
            neighbours.neighbours, ctx.store, ctx.clearance, key, offset=start, limit=stop - start, **asked
        )
        found_page = connection(found.items, page, t.Neighbour.of, total=found.total, offset=found.offset)
        return t.NeighbourConnection.counted(found_page, found.undated_left_out)

    @strawberry.field(
        description="The shortest simple paths between two entities, shortest first: at most 20 "
        "(CRIMEGRAPH_API__MAX_PATHS) in all; first or after beyond that is a LIMIT_EXCEEDED error. "
        "totalCount is null while more paths may exist beyond those found."
    )
    async def paths(
        self,
        info: Info,
        source: Annotated[str, strawberry.argument(description="Key or identifier of one end")],
        target: Annotated[str, strawberry.argument(description="Key or identifier of the other end")],
        max_length: Annotated[int, strawberry.argument(description="Longest path in links (1-8)")] = 6,
        edge_set: EdgeSetArg = None,
        kinds: Annotated[
            list[NodeKind] | None,
            strawberry.argument(description="Node kinds a path may pass through (its ends always may)"),
        ] = None,
        first: Annotated[
            int | None,
            strawberry.argument(description="How many paths from the start or from `after` (default 1)"),
        ] = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[t.PathResult]:
        ctx = info.context
        ctx.caller.check("analyse")
        most = min(ctx.settings.max_paths, paths.MAX_K)
        within("maxLength", max_length, ctx.settings.max_path_length)
        page = Page.of(
            first, after, last, before, default=1, maximum=most, limit="the most paths one answer lists"
        )
        # Enough paths for the page and one more (to tell a next page), never more than the list holds.
        k = most if page.reach is None else min(page.reach, most)
        found = await ctx.run(
            paths.paths,
            ctx.store,
            ctx.clearance,
            source,
            target,
            max_length=max_length,
            k=k,
            edge_set=value_of(edge_set),
            kinds=values_of(kinds),
        )
        result = connection(found, page, t.PathResult.of)
        if len(found) == k < most:
            result.total_count = None  # more paths may exist beyond those asked for
        return result

    @strawberry.field(description="Entities linked to every one of `keys` first, then to most of them.")
    async def common_associates(
        self,
        info: Info,
        keys: Annotated[list[str], strawberry.argument(description="Two to twenty keys or identifiers")],
        edge_set: EdgeSetArg = None,
        kinds: Annotated[
            list[NodeKind] | None, strawberry.argument(description="Node kinds an associate may be")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[t.RankedEntity]:
        ctx = info.context
        ctx.caller.check("analyse")
        page = _page(info, first, after, last, before, 20)
        set_name, kind_names = value_of(edge_set), values_of(kinds)
        found = await _kept(
            info,
            ("commonAssociates", tuple(keys), set_name, tuple(kind_names or ())),
            associates.common_associates,
            keys,
            edge_set=set_name,
            kinds=kind_names,
            limit=None,
        )
        return connection(found, page, t.RankedEntity.of)

    @strawberry.field(
        description="Entities sharing infrastructure or wallets with `key`, ranked; each shared pivot "
        "counts 1/ln(1 + its degree), so big hosters, exchanges and popular tools weigh little."
    )
    async def shared_infrastructure(
        self,
        info: Info,
        key: Key,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[t.RankedEntity]:
        ctx = info.context
        ctx.caller.check("analyse")
        page = _page(info, first, after, last, before, 20)
        found = await _kept(
            info, ("sharedInfrastructure", key), pivots.shared_infrastructure, key, limit=None
        )
        return connection(found, page, t.RankedEntity.of)

    @strawberry.field(
        description="Time-respecting transfers out of (or into) a wallet, totals per destination, "
        "exchanges, mixers and cash-out services flagged."
    )
    async def money_flow(
        self,
        info: Info,
        wallet: Annotated[str, strawberry.argument(description="Key or identifier of a wallet")],
        direction: Annotated[
            Direction, strawberry.argument(description="OUT: where its money went; IN: where it came from")
        ] = Direction.OUT,
        max_hops: Annotated[int, strawberry.argument(description="Most transfers in a chain (1-6)")] = 4,
        min_amount: Annotated[
            float, strawberry.argument(description="Smallest transfer followed (in the transfer's asset)")
        ] = 0.0,
        since: Since = None,
        until: Until = None,
        limit: Annotated[int, strawberry.argument(description="Most wallets in `network`")] = 500,
        include_undated: IncludeUndated = False,
    ) -> t.MoneyFlowResult:
        ctx = info.context
        ctx.caller.check("analyse")
        within("limit", limit, ctx.settings.max_neighbourhood)
        flow = await ctx.run(
            money.money_flow,
            ctx.store,
            ctx.clearance,
            wallet,
            direction=str(value_of(direction)),
            max_hops=max_hops,
            min_amount=min_amount,
            since=since,
            until=until,
            limit=limit,
            include_undated=include_undated,
            records=False,
        )
        return t.MoneyFlowResult.of(flow)

    @strawberry.field(
        description="Communities of the scope's graph, largest first (ids stable for the same data); "
        "entities without a community (alone) are not listed."
    )
    async def communities(
        self,
        info: Info,
        scope: ScopeArg = None,
        algorithm: Annotated[
            CommunityAlgorithm, strawberry.argument(description="How communities are found")
        ] = CommunityAlgorithm["LOUVAIN"],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[t.CommunityResult]:
        ctx = info.context
        ctx.caller.check("analyse")
        page = _page(info, first, after, last, before, 20)
        chosen, name = _scope(info, scope), str(value_of(algorithm))
        found = await _kept(
            info, ("communities", chosen, name), communities.communities, chosen, algorithm=name, limit=None
        )
        return connection(found, page, t.CommunityResult.of)

    @strawberry.field(description="The entities of the scope's graph by a centrality measure, highest first.")
    async def centrality(
        self,
        info: Info,
        scope: ScopeArg = None,
        metric: Annotated[
            CentralityMetric, strawberry.argument(description="The centrality measure")
        ] = CentralityMetric["DEGREE"],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[t.RankedEntity]:
        ctx = info.context
        ctx.caller.check("analyse")
        page = _page(info, first, after, last, before, 20)
        chosen, name = _scope(info, scope), str(value_of(metric))
        found = await _kept(
            info, ("centrality", chosen, name), centrality.centrality, chosen, metric=name, top=None
        )
        return connection(found, page, t.RankedEntity.of)

    @strawberry.field(
        description="An entity's links with the entity at the other end, oldest first (by first seen, "
        "then last seen, as the caller sees them); undated links last."
    )
    async def timeline(
        self,
        info: Info,
        key: Key,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[t.TimelineEntry]:
        ctx = info.context
        ctx.caller.check("read")
        page = _page(info, first, after, last, before, 50)
        if page.last is None and page.reach is not None:  # forward: the page and one more are read
            start, stop = page.start, page.reach
        else:  # backward: the length first, then the page
            total = (await ctx.run(timeline.timeline_page, ctx.store, ctx.clearance, key, limit=0)).total
            start, stop = page.window(total)
        found = await ctx.run(
            timeline.timeline_page, ctx.store, ctx.clearance, key, offset=start, limit=stop - start
        )
        return connection(found.entries, page, t.TimelineEntry.of, total=found.total, offset=found.offset)

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

    @strawberry.field(
        description="The store's data version: a number every write (a load, an ingest, a clear, an "
        "analyst's decision) increases; a saved investigation or a package cites it to say what data it "
        "was made from."
    )
    async def data_version(self, info: Info) -> int:
        ctx = info.context
        ctx.caller.check("read")
        return await ctx.run(ctx.store.data_version)

    # -- disruption (issue 10) ---------------------------------------------------------------------

    @strawberry.field(
        description="Entities whose removal would hurt the scope's network most, best first, explained."
    )
    async def disruption_scores(
        self,
        info: Info,
        scope: ScopeArg = None,
        metric: Annotated[Metric, strawberry.argument(description="What the score measures")] = Metric[
            "COMPOSITE"
        ],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[t.TargetResult]:
        ctx = info.context
        ctx.caller.check("analyse")
        page = _page(info, first, after, last, before, 20)
        chosen, name = _scope(info, scope), str(value_of(metric))
        found = await _kept(
            info, ("disruptionScores", chosen, name), disruption_scores, chosen, metric=name, top=None
        )
        return connection(found, page, t.TargetResult.of)

    @strawberry.field(
        description="The set of targets, within a budget of count or cost, that hurts the objective most; "
        "each pick with its cost and why, and the network before and after."
    )
    async def takedown_plan(
        self,
        info: Info,
        scope: ScopeArg = None,
        budget: Annotated[int, strawberry.argument(description="Most targets (1-500, as the CLI)")] = 5,
        max_cost: Annotated[
            float | None, strawberry.argument(description="Most total cost of the targets (none: no limit)")
        ] = None,
        costs: Annotated[
            JSON | None, strawberry.argument(description="Costs by kind, type, role or key (as a costs file)")
        ] = None,
        objective: Annotated[
            Objective, strawberry.argument(description="What the plan damages most")
        ] = Objective["FRAGMENTATION"],
        group: Annotated[
            str | None,
            strawberry.argument(description="The group of the REACH objective (key or identifier)"),
        ] = None,
        recovery: Annotated[
            float | None,
            strawberry.argument(description="Share (0-1) of the ties the recovery model predicts that form"),
        ] = None,
        seed: Annotated[
            int,
            strawberry.argument(
                description="Seed of the search: the same graph, options and seed give the same plan"
            ),
        ] = 0,
        time_limit: Annotated[
            float | None,
            strawberry.argument(description="Seconds after which the search is cut (the plan then says so)"),
        ] = None,
    ) -> t.PlanResult:
        ctx = info.context
        ctx.caller.check("analyse")
        # the same caps and messages as the CLI (queries.disruption.limits)
        check_request(budget, max_cost, str(value_of(objective)), group, recovery, time_limit)
        if costs is not None and not isinstance(costs, dict):
            raise InvalidArgument("costs is a JSON object (as a costs file)")
        plan = await ctx.run(
            takedown_plan,
            ctx.store,
            ctx.clearance,
            _scope(info, scope),
            budget=budget,
            max_cost=max_cost,
            objective=str(value_of(objective)),
            costs=costs,
            group=group,
            recovery=recovery,
            seed=seed,
            time_limit=time_limit,
        )
        return t.PlanResult.of(plan)

    @strawberry.field(
        description="What removing these entities does to the scope's network, before recovery and after."
    )
    async def simulate_takedown(
        self,
        info: Info,
        remove: Annotated[list[str], strawberry.argument(description="Keys or identifiers to remove")],
        scope: ScopeArg = None,
        recovery: Annotated[
            float | None,
            strawberry.argument(description="Share (0-1) of the ties the recovery model predicts that form"),
        ] = None,
    ) -> t.PlanResult:
        ctx = info.context
        ctx.caller.check("analyse")
        check_remove(len(remove))
        check_probability(recovery)
        plan = await ctx.run(
            simulate_takedown,
            ctx.store,
            ctx.clearance,
            _scope(info, scope),
            remove,
            recovery=recovery,
        )
        return t.PlanResult.of(plan)

    @strawberry.field(description="A full removal order that keeps the giant component small early.")
    async def dismantle(
        self,
        info: Info,
        scope: ScopeArg = None,
        reinsertion: Annotated[
            bool, strawberry.argument(description="Put back removals that turned out not to be needed")
        ] = True,
        by: Annotated[
            str, strawberry.argument(description="q10 (fewest removals to 10% of N, default) or r (lowest R)")
        ] = "q10",
    ) -> t.PlanResult:
        ctx = info.context
        ctx.caller.check("analyse")
        plan = await ctx.run(
            dismantle, ctx.store, ctx.clearance, _scope(info, scope), reinsertion=reinsertion, by=by
        )
        return t.PlanResult.of(plan)

    @strawberry.field(
        description="Same-person candidates among the handles the caller may see: pairs whose match "
        "probability reaches `minScore`, best first, each with its evidence and same-person group "
        "(`crimegraph identify`). Computed only from what the caller may see; never merges anything."
    )
    async def identity_candidates(
        self,
        info: Info,
        scope: ScopeArg = None,
        min_score: Annotated[
            float, strawberry.argument(description="Least match probability (0..1)")
        ] = DEFAULT_MIN_SCORE,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[t.IdentityCandidate]:
        ctx = info.context
        ctx.caller.check("analyse")
        if not 0.0 <= min_score <= 1.0:
            raise InvalidArgument(f"minScore is a probability between 0 and 1, got {min_score}")
        page = _page(info, first, after, last, before, 20)
        found = await ctx.run(identify, ctx.store, ctx.clearance, _scope(info, scope), min_score=min_score)
        return connection(found.candidates, page, t.IdentityCandidate.of)


@strawberry.type(description="Changes to the graph (role loader).")
class Mutation:
    @strawberry.mutation(description="Load one file's content (`payload`) of `format`, as `crimegraph load`.")
    async def ingest(
        self,
        info: Info,
        format: Annotated[IngestFormat, strawberry.argument(description="The payload's format")],
        payload: Annotated[str, strawberry.argument(description="The file's content (at most 20 MB)")],
        filename: Annotated[
            str | None, strawberry.argument(description="The file's name (some formats read its extension)")
        ] = None,
        source: Annotated[
            str, strawberry.argument(description="The dataset name recorded in every item's provenance")
        ] = "api",
        tlp: Annotated[Tlp, strawberry.argument(description="The marking of everything loaded")] = Tlp[
            "CLEAR"
        ],
        confidence: Annotated[
            int, strawberry.argument(description="Confidence of what is loaded (0-100)")
        ] = 50,
    ) -> t.IngestResult:
        ctx = info.context
        ctx.caller.check("ingest")
        if len(payload.encode()) > ctx.settings.max_payload:
            raise LimitExceeded(f"payload is over the limit of {ctx.settings.max_payload} bytes")
        within("confidence", confidence, 100, minimum=0)
        marking = TLP[tlp.name]
        if marking > ctx.clearance:
            raise InvalidArgument(
                f"tlp {marking.label} is above the key's clearance ({ctx.clearance.label}): mark what you "
                "load at most as high as you may read"
            )
        summary, seen, rejects = await ctx.run(
            ingest_seen,
            ctx.store,
            str(value_of(format)),
            payload,
            filename=filename,
            source=source,
            tlp=marking,
            confidence=confidence,
            analyst=ctx.caller.name,
            clearance=ctx.clearance,
        )
        return t.IngestResult(
            read=summary.read,
            nodes_new=seen.nodes_new,
            edges_new=seen.edges_new,
            merged=seen.merged,
            rejected=summary.rejected,
            edges_pending=seen.edges_pending,
            rejects=[JSON(r) for r in rejects],
        )

    @strawberry.mutation(
        description="Confirm that two handles are one person (`crimegraph identify confirm`): recorded with "
        "the caller's name and the time, and written as an ALIAS_OF link; never a merge."
    )
    async def confirm_identity(self, info: Info, a: Key, b: Key) -> t.IdentityDecision:
        return await _decide(info, a, b, "confirmed")

    @strawberry.mutation(
        description="Reject a same-person candidate (`crimegraph identify reject`): recorded with the "
        "caller's name and the time; later runs leave it out unless new evidence arrives."
    )
    async def reject_identity(self, info: Info, a: Key, b: Key) -> t.IdentityDecision:
        return await _decide(info, a, b, "rejected")


async def _decide(info: Info, a: str, b: str, verdict: str) -> t.IdentityDecision:
    ctx = info.context
    ctx.caller.check("analyse")
    record = await ctx.run(decide, ctx.store, ctx.clearance, a, b, verdict, analyst=ctx.analyst)
    return t.IdentityDecision.of(record)


class QuietSchema(strawberry.Schema):
    """Errors are logged by :class:`backend.api.errors.ErrorCodes` (only unexpected ones, with request id).

    ``documents`` is the schema's parse cache (:class:`backend.api.limits.DocumentCache`), which the HTTP
    endpoint also reads to pick the operation before running it."""

    documents: DocumentCache

    def process_errors(self, errors: object, execution_context: object = None) -> None:
        return None


def build_schema(settings: ApiSettings) -> QuietSchema:
    documents = document_cache(settings)
    extensions: list[Callable[[], SchemaExtension] | type[SchemaExtension]] = [
        *document_limits(settings, documents),
        ErrorCodes,
    ]
    schema = QuietSchema(query=Query, mutation=Mutation, extensions=extensions)
    schema.documents = documents
    for named in schema._schema.type_map.values():
        if isinstance(named, GraphQLEnumType) and isinstance(getattr(named, "wrapped_cls", None), type):
            _name_enum_by_lookup(named)
        elif isinstance(named, GraphQLObjectType) and schema.config.default_resolver is getattr:
            _read_attributes_directly(named)
    return schema


def _read_attributes_directly(object_type: GraphQLObjectType) -> None:
    """Resolve each field of ``object_type`` that has no resolver of its own by one ``getattr``.

    Strawberry resolves such a field through three calls (its basic-field wrapper, the field's
    ``get_result``, then the configured default resolver, ``getattr``): a depth-2 neighbourhood of 500
    entities has ~5,000 such fields, and the two calls saved were about a tenth of rendering it.
    A field strawberry does not resolve as a plain attribute (a resolver, permissions, extensions) is
    left as it is.
    """
    for field in object_type.fields.values():
        definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
        if (
            getattr(field.resolve, "_is_default", False)
            and isinstance(definition, StrawberryField)
            and definition.is_basic_field
            and definition.python_name
        ):
            field.resolve = _attribute(definition.python_name)


def _attribute(name: str) -> Callable[..., Any]:
    def resolve(source: Any, info: Any, **arguments: Any) -> Any:
        return getattr(source, name)

    return resolve


def _name_enum_by_lookup(enum_type: GraphQLEnumType) -> None:
    """Answer an enum field's GraphQL name by one look-up of the member.

    Strawberry names a member by comparing it with every value of its enum in turn: with 40 edge types
    and 20 node kinds that was a fifth of rendering a neighbourhood of 500 entities (measured at M).
    Anything not a member of the enum goes to strawberry's own check, which names or refuses it.
    """
    wrapped: type[enum.Enum] = enum_type.wrapped_cls  # type: ignore[attr-defined]
    by_value = {value.value: name for name, value in enum_type.values.items()}
    names = {member: by_value[member.value] for member in wrapped if member.value in by_value}
    general = enum_type.coerce_output_value

    def coerce_output_value(output_value: Any) -> Any:
        name = names.get(output_value) if isinstance(output_value, enum.Enum) else None
        return general(output_value) if name is None else name

    enum_type.coerce_output_value = coerce_output_value  # type: ignore[method-assign]


__all__ = ["Mutation", "Query", "ScopeInput", "build_schema"]
