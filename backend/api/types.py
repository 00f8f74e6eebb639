"""GraphQL types: the result vocabulary of ``queries/`` as strawberry types, and Relay-style connections.

GraphQL names: an entity (a graph node) is ``Entity`` and a relationship ``Link``, so that ``node`` and
``edges`` keep their Relay meaning inside connections (``edges { node cursor } pageInfo``).
"""

from collections.abc import Sequence
from typing import Any

import strawberry
from strawberry.scalars import JSON

from backend.api.enums import Direction, EdgeType, NodeKind, Tlp, edge_type, node_kind
from backend.api.paging import After, Before, Connection, First, Last, Page, connection
from backend.views.identity import pair_path
from graph_model.entities import Edge, Node, credits, link_credits
from graph_model.provenance import Provenance as Prov
from graph_model.store.base import Link as StoreLink
from graph_model.store.base import Stats as StoreStats
from queries import results as r
from queries.identify.candidates import Candidate
from queries.identify.profile import Profile
from queries.neighbourhood import Outline
from queries.neighbours import Neighbour as FoundNeighbour

# Dates (docs/api.md "Dates"): what each means, in every type that carries it.
CREATED = "When the source created its record of it (its own date, e.g. STIX `created`; not an observation)"
MODIFIED = "When the source last changed its record of it (e.g. STIX `modified`; not an observation)"
DATE_ADDED = "When crimegraph first loaded it (UTC; as the caller's clearance shows it)"
UNDATED_LEFT_OUT = (
    "Links the time window (since/until) left out because they carry no observed date (0 without a "
    "window or with includeUndated)"
)


@strawberry.type(description="Where a fact came from, when it was seen, how sure and how restricted it is.")
class Provenance:
    sources: list[str] = strawberry.field(description="dataset#record references")
    first_seen: str | None = strawberry.field(
        description="When it was first observed (UTC ISO 8601), as the caller's sources say; null: undated"
    )
    last_seen: str | None = strawberry.field(
        description="When it was last observed (UTC ISO 8601), as the caller's sources say; null: undated"
    )
    confidence: int = strawberry.field(description="How sure the sources are, 0-100 (the highest of them)")
    tlp: Tlp = strawberry.field(description="The TLP marking of what the caller sees")
    created: str | None = strawberry.field(description=CREATED)
    modified: str | None = strawberry.field(description=MODIFIED)
    date_added: str | None = strawberry.field(description=DATE_ADDED)

    @classmethod
    def of(cls, prov: Prov) -> "Provenance":
        return cls(
            sources=sorted(prov.sources),
            first_seen=prov.first_seen,
            last_seen=prov.last_seen,
            confidence=prov.confidence,
            tlp=Tlp[prov.tlp.name],
            created=prov.created,
            modified=prov.modified,
            date_added=prov.date_added,
        )


@strawberry.type(
    description="Who stated one property of an entity: the sources that gave the value shown (of those "
    "the caller may see). A merged entity's properties may come from different sources."
)
class Statement:
    property: str = strawberry.field(
        description="The property (as in `properties`), `aliases`, or `name` for the entity's name"
    )
    sources: list[str] = strawberry.field(
        description="The dataset#record references that stated the value shown, sorted; never a source "
        "above the caller's clearance, nor one that stated another value or nothing of it"
    )


@strawberry.type(description="An entity of the graph (actor, infrastructure, wallet, forum ...).")
class Entity:
    """Built from a Node; aliases, properties and provenance are made only when a query asks for them
    (a neighbourhood of 500 entities asked for keys and names built them all: a third of its time)."""

    key: str = strawberry.field(description="The entity's key; any of its identifiers also finds it")
    kind: NodeKind = strawberry.field(description="Node kind of the schema (Actor, Wallet ...)")
    type: str = strawberry.field(description="Type within the kind (handle, domain ...)")
    name: str = strawberry.field(description="The name to show (a handle, domain, address ...)")
    node: strawberry.Private[Node]

    @strawberry.field(description="Other names it goes by, as the caller's sources give them")
    def aliases(self) -> list[str]:
        return [str(a) for a in self.node.props.get("aliases", ())]

    @strawberry.field(description="The schema's properties (aliases apart)")
    def properties(self) -> JSON:
        return JSON({k: v for k, v in self.node.props.items() if k != "aliases"})

    @strawberry.field(description="Where it came from, when it was seen, how sure, how restricted")
    def provenance(self) -> Provenance:
        return Provenance.of(self.node.prov)

    @strawberry.field(
        description="Which sources stated the name and each property (aliases included), as the caller "
        "sees them: the name first, then by property name"
    )
    def stated_by(self) -> list[Statement]:
        return [Statement(property=p, sources=sorted(s)) for p, s in credits(self.node).items()]

    @strawberry.field(description=CREATED)
    def created(self) -> str | None:
        return self.node.prov.created

    @strawberry.field(description=MODIFIED)
    def modified(self) -> str | None:
        return self.node.prov.modified

    @strawberry.field(description=DATE_ADDED)
    def date_added(self) -> str | None:
        return self.node.prov.date_added

    @classmethod
    def of(cls, node: Node) -> "Entity":
        return cls(key=node.key, kind=node_kind(node.kind), type=node.type, name=node.name, node=node)


@strawberry.type(description="A directed relationship between two entities.")
class Link:
    key: str = strawberry.field(description="The link's key (stable for the same data)")
    type: EdgeType = strawberry.field(description="Edge type of the schema (MEMBER_OF, TRANSFERRED ...)")
    source: str = strawberry.field(description="Key of the source entity")
    target: str = strawberry.field(description="Key of the target entity")
    # The record, or the store's link to read it by when a query asks for what only the record holds
    # (a neighbourhood asked for keys and ends reads no edge record: see Context.edge_records).
    edge: strawberry.Private[Edge | None]
    link: strawberry.Private[StoreLink | None] = None

    async def record(self, info: strawberry.Info) -> Edge:
        if self.edge is None:
            assert self.link is not None
            self.edge = await info.context.edge_records.load(self.link)
        return self.edge

    @strawberry.field(description="The schema's properties of the link (amount, time, role ...)")
    async def properties(self, info: strawberry.Info) -> JSON:
        return JSON(dict((await self.record(info)).props))

    @strawberry.field(description="Where the link came from, when it was seen, how sure, how restricted")
    async def provenance(self, info: strawberry.Info) -> Provenance:
        return Provenance.of((await self.record(info)).prov)

    @strawberry.field(
        description="Which sources stated each property of the link, as the caller sees them, by property"
    )
    async def stated_by(self, info: strawberry.Info) -> list[Statement]:
        edge = await self.record(info)
        return [Statement(property=p, sources=sorted(s)) for p, s in link_credits(edge).items()]

    @strawberry.field(description=CREATED)
    async def created(self, info: strawberry.Info) -> str | None:
        return (await self.record(info)).prov.created

    @strawberry.field(description=MODIFIED)
    async def modified(self, info: strawberry.Info) -> str | None:
        return (await self.record(info)).prov.modified

    @strawberry.field(description=DATE_ADDED)
    async def date_added(self, info: strawberry.Info) -> str | None:
        return (await self.record(info)).prov.date_added

    @strawberry.field(description="The source entity (batched per request; null if not visible)")
    async def source_entity(self, info: strawberry.Info) -> Entity | None:
        found = await info.context.entities.load(self.source)
        return None if found is None else Entity.of(found)

    @strawberry.field(description="The target entity (batched per request; null if not visible)")
    async def target_entity(self, info: strawberry.Info) -> Entity | None:
        found = await info.context.entities.load(self.target)
        return None if found is None else Entity.of(found)

    @classmethod
    def of(cls, edge: Edge) -> "Link":
        return cls(
            key=edge.key,
            type=edge_type(edge.type),
            source=edge.source,
            target=edge.target,
            edge=edge,
        )

    @classmethod
    def outlined(cls, link: StoreLink) -> "Link":
        return cls(
            key=link.key,
            type=edge_type(link.type),
            source=link.source,
            target=link.target,
            edge=None,
            link=link,
        )


@strawberry.type(description="A hub whose neighbours were left out of a subgraph, and how many.")
class Collapsed:
    key: str = strawberry.field(description="The hub's key")
    hidden: int = strawberry.field(description="How many of its neighbours the caller may see were left out")


def _subgraph_nodes(root: "Subgraph") -> list[Entity]:
    return [Entity.of(n) for n in root.found_nodes]


def _subgraph_edges(root: "Subgraph") -> list[Link]:
    # The store's links: their records are read when a query asks for more than keys and ends.
    return [Link.outlined(link) for link in root.found_edges]


@strawberry.type(description="Entities and links shown together; hubs over the cap come back collapsed.")
class Subgraph:
    """Its entities and links are made when a query asks for them: a money flow's network of 2,000
    transfers asked only whether it was cut short made 2,000 Links for nothing."""

    found_nodes: strawberry.Private[Sequence[Node]]
    found_edges: strawberry.Private[Sequence[StoreLink]]
    nodes: list[Entity] = strawberry.field(
        resolver=_subgraph_nodes, description="The entities, in the order the walk reached them"
    )
    edges: list[Link] = strawberry.field(
        resolver=_subgraph_edges, description="The links between those entities"
    )
    truncated: bool = strawberry.field(description="A limit cut the result short")
    hidden_count: int = strawberry.field(description="Neighbours hidden behind collapsed hubs")
    collapsed: list[Collapsed] = strawberry.field(description="Hubs shown with some neighbours left out")
    undated_left_out: int = strawberry.field(description=UNDATED_LEFT_OUT, default=0)

    @classmethod
    def outlined_network(cls, network: r.Network, links: Sequence[StoreLink]) -> "Subgraph":
        """A network whose edges are given as ``links`` (its own ``edges`` may be left empty)."""
        made = cls._made(network.nodes, links, network.truncated, network.collapsed)
        made.undated_left_out = network.undated_left_out
        return made

    @classmethod
    def outlined(cls, found: Outline) -> "Subgraph":
        made = cls._made(found.nodes, found.links, found.truncated, found.collapsed)
        made.undated_left_out = found.undated_left_out
        return made

    @classmethod
    def _made(
        cls,
        nodes: Sequence[Node],
        edges: Sequence[StoreLink],
        truncated: bool,
        collapsed: dict[str, int],
    ) -> "Subgraph":
        return cls(
            found_nodes=nodes,
            found_edges=edges,
            truncated=truncated,
            hidden_count=sum(collapsed.values()),
            collapsed=[Collapsed(key=k, hidden=v) for k, v in sorted(collapsed.items())],
        )


@strawberry.type(description="A path: nodes[i] and nodes[i+1] are joined by edges[i] (either direction).")
class PathResult:
    length: int = strawberry.field(description="How many links the path has")
    nodes: list[Entity] = strawberry.field(description="The entities along the path, source first")
    edges: list[Link] = strawberry.field(description="The links, edges[i] joining nodes[i] and nodes[i+1]")

    @classmethod
    def of(cls, path: r.Path) -> "PathResult":
        return cls(
            length=path.length,
            nodes=[Entity.of(n) for n in path.nodes],
            edges=[Link.of(e) for e in path.edges],
        )


@strawberry.type(description="An entity with a score and the numbers and words behind it.")
class RankedEntity:
    node: Entity = strawberry.field(description="The entity ranked")
    score: float = strawberry.field(description="Its score (the field's description says on what scale)")
    detail: JSON = strawberry.field(description="The numbers behind the score")
    why: str = strawberry.field(description="The score in words")

    @classmethod
    def of(cls, ranked: r.Ranked) -> "RankedEntity":
        return cls(
            node=Entity.of(ranked.node), score=ranked.score, detail=JSON(dict(ranked.detail)), why=ranked.why
        )


@strawberry.type(description="A community of the scope's graph (ids are stable for the same data).")
class CommunityResult:
    id: str = strawberry.field(description="The community's id (its rank by size; stable for the same data)")
    size: int = strawberry.field(description="How many members")
    internal_edges: int = strawberry.field(description="How many links join two members")
    kinds: JSON = strawberry.field(description="Members by node kind")
    all_members: strawberry.Private[list[Node]]
    best: strawberry.Private[list[Node]]

    @strawberry.field(description="The best-linked members (most ties inside the community), best first")
    def top_members(self) -> list[Entity]:
        return [Entity.of(n) for n in self.best]

    @strawberry.field(description="Every member, in key order")
    def members(
        self,
        info: strawberry.Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Entity]:
        page = Page.of(first, after, last, before, default=100, maximum=info.context.settings.max_page)
        return connection(self.all_members, page, Entity.of)

    @classmethod
    def of(cls, community: r.Community) -> "CommunityResult":
        return cls(
            id=community.id,
            size=community.size,
            internal_edges=community.internal_edges,
            kinds=JSON(dict(community.kinds)),
            all_members=community.members,
            best=community.top,
        )


@strawberry.type(description="Where money went: totals over the time-respecting transfers reaching it.")
class Destination:
    node: Entity = strawberry.field(description="The wallet reached")
    total: float = strawberry.field(description="The sum of the chain transfers into it, in `asset`")
    transfers: int = strawberry.field(description="How many chain transfers reached it")
    min_hops: int = strawberry.field(description="The fewest transfers from the origin to it")
    asset: str | None = strawberry.field(description="The asset of the transfers (BTC, ETH ...) where known")
    service: str | None = strawberry.field(description="exchange, mixer, cash-out ... where known")

    @classmethod
    def of(cls, d: r.Destination) -> "Destination":
        return cls(
            node=Entity.of(d.node),
            total=d.total,
            transfers=d.transfers,
            min_hops=d.min_hops,
            asset=d.asset,
            service=d.service,
        )


@strawberry.type(description="Time-respecting transfers from (or to) a wallet, and totals per destination.")
class MoneyFlowResult:
    origin: Entity = strawberry.field(description="The wallet the money was followed from (or into)")
    direction: Direction = strawberry.field(description="OUT: where its money went; IN: where it came from")
    network: Subgraph = strawberry.field(description="The origin, the wallets reached and the transfers")
    found: strawberry.Private[list[r.Destination]]

    @strawberry.field(description="Every wallet reached with its totals: services first, then by total")
    def destinations(
        self,
        info: strawberry.Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Destination]:
        page = Page.of(first, after, last, before, default=20, maximum=info.context.settings.max_page)
        return connection(self.found, page, Destination.of)

    @classmethod
    def of(cls, flow: r.MoneyFlow) -> "MoneyFlowResult":
        return cls(
            origin=Entity.of(flow.origin),
            direction=Direction(flow.direction),
            # The transfers as links: their records are read only when a query asks for more than keys
            # and ends (money_flow(records=False) reads their amounts and times alone).
            network=Subgraph.outlined_network(flow.network, flow.links),
            found=flow.destinations,
        )


@strawberry.type(description="One link of an entity with the entity at its other end, in time order.")
class TimelineEntry:
    edge: Link = strawberry.field(description="The link")
    other: Entity = strawberry.field(description="The entity at the link's other end")
    first_seen: str | None = strawberry.field(
        description="When the link was first seen, as the caller sees it"
    )
    last_seen: str | None = strawberry.field(description="When the link was last seen, as the caller sees it")

    @classmethod
    def of(cls, entry: r.TimelineEntry) -> "TimelineEntry":
        return cls(
            edge=Link.of(entry.edge),
            other=Entity.of(entry.other),
            first_seen=entry.first_seen,
            last_seen=entry.last_seen,
        )


@strawberry.type(description="A takedown target with its score, cost and why it was picked.")
class TargetResult:
    key: str = strawberry.field(description="The target's key")
    name: str = strawberry.field(description="The target's name")
    kind: NodeKind = strawberry.field(description="The target's node kind")
    type: str | None = strawberry.field(description="The target's type within its kind")
    rank: int | None = strawberry.field(description="Position in the plan or the score list (1 = first)")
    score: float = strawberry.field(
        description="A plan's gain; a score list's 0-100 score; a dismantling's LCC/N after the removal"
    )
    gain: float | None = strawberry.field(
        description="What the pick adds to the plan's objective given the picks before it (always > 0)"
    )
    cost: float = strawberry.field(description="What taking it down costs, in the action table's unit")
    why: str = strawberry.field(description="Why it was picked, in words")
    why_message: "Message | None" = strawberry.field(description="The why as data: message id and values")
    actions: JSON | None = strawberry.field(description="Requests the action table allows, and who acts")
    substitutes: JSON | None = strawberry.field(description="Measured substitutability")
    components: JSON | None = strawberry.field(description="Score components, raw and as percentiles")

    @classmethod
    def of(cls, target: r.Target) -> "TargetResult":
        return cls(
            key=target.key,
            name=target.name,
            kind=node_kind(target.kind),
            type=target.type,
            rank=target.rank,
            score=target.score,
            gain=target.gain,
            cost=target.cost,
            why=target.why,
            why_message=Message.of(target.why_message),
            actions=None if target.actions is None else JSON(target.actions),
            substitutes=None if target.substitutes is None else JSON(target.substitutes),
            components=None if target.components is None else JSON(target.components),
        )


@strawberry.type(description="Words for a person, as data: the English text, its message id and values")
class Message:
    text: str = strawberry.field(description="The English rendering")
    id: str = strawberry.field(description="The message id (docs/disruption.md, Words)")
    values: JSON = strawberry.field(description="The values the message says it with")

    @classmethod
    def of(cls, data: dict[str, Any] | None) -> "Message | None":
        if not data:
            return None
        return cls(text=str(data["text"]), id=str(data["id"]), values=JSON(dict(data["values"])))


@strawberry.type(description="Targets in order with the network's measures before and after removal.")
class PlanResult:
    picked: strawberry.Private[list[r.Target]]
    before: JSON = strawberry.field(description="The network's measures before the removals")
    after: JSON = strawberry.field(description="The network's measures after the removals")
    objective: str = strawberry.field(description="The objective the plan damaged (fragmentation, lcc ...)")
    scope: JSON = strawberry.field(description="The scope the plan was made for")
    recovery: JSON | None = strawberry.field(
        description="The measures after the network rewires (null: no recovery asked for)"
    )
    verdict: Message | None = strawberry.field(description="What the removal does, in plain words, as data")
    budget: JSON | None = strawberry.field(description="Budget asked, used, unused and why it stopped")
    search: JSON | None = strawberry.field(description="Work budget, time limit, 1-swap optimum")

    @strawberry.field(description="The targets in the order picked (removal order)")
    def targets(
        self,
        info: strawberry.Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[TargetResult]:
        page = Page.of(first, after, last, before, default=100, maximum=info.context.settings.max_page)
        return connection(self.picked, page, TargetResult.of)

    @classmethod
    def of(cls, plan: r.Plan) -> "PlanResult":
        return cls(
            picked=plan.targets,
            before=JSON(plan.before),
            after=JSON(plan.after),
            objective=plan.objective,
            scope=JSON(plan.scope),
            recovery=None if plan.recovery is None else JSON(plan.recovery),
            verdict=Message.of(plan.verdict),
            budget=None if plan.budget is None else JSON(plan.budget),
            search=None if plan.search is None else JSON(plan.search),
        )


@strawberry.type(description="How many of one kind or type the caller can see.")
class Count:
    name: str = strawberry.field(description="A node kind or edge type of the schema")
    count: int = strawberry.field(description="How many the caller can see")


@strawberry.type(description="What the caller can see: nodes by kind and links by type.")
class Stats:
    total_nodes: int = strawberry.field(description="Entities the caller can see")
    total_edges: int = strawberry.field(description="Links the caller can see")
    nodes: list[Count] = strawberry.field(description="Entities by node kind")
    edges: list[Count] = strawberry.field(description="Links by edge type")

    @classmethod
    def of(cls, stats: StoreStats) -> "Stats":
        return cls(
            total_nodes=sum(stats.nodes.values()),
            total_edges=sum(stats.edges.values()),
            nodes=[Count(name=k, count=v) for k, v in sorted(stats.nodes.items())],
            edges=[Count(name=k, count=v) for k, v in sorted(stats.edges.items())],
        )


@strawberry.type(description="A property of a node or edge kind, as the schema declares it.")
class PropertyInfo:
    name: str = strawberry.field(description="The property's name")
    type: str = strawberry.field(description="Its range: string, text, integer, number, datetime ...")
    search: bool = strawberry.field(description="Whether search finds entities by it")
    description: str = strawberry.field(description="What it holds, as the schema says (may be empty)")


@strawberry.type(description="A node kind of the schema.")
class NodeKindInfo:
    name: str = strawberry.field(description="The kind's name (a NodeKind value)")
    description: str = strawberry.field(description="What the kind is, as the schema says")
    types: list[str] = strawberry.field(description="Its types (handle, group, domain, btc ...)")
    properties: list[PropertyInfo] = strawberry.field(description="Its properties")
    color: str = strawberry.field(description="Its colour in views (#rrggbb)")
    shape: str = strawberry.field(description="Its shape in views (vis-network shape name)")


@strawberry.type(description="An edge kind of the schema.")
class EdgeKindInfo:
    name: str = strawberry.field(description="The edge type (an EdgeType value)")
    description: str = strawberry.field(description="What the link means, as the schema says")
    sources: list[str] = strawberry.field(description="Node kinds it may start from (* for any)")
    targets: list[str] = strawberry.field(description="Node kinds it may end at (* for any)")
    properties: list[PropertyInfo] = strawberry.field(description="Its properties")


@strawberry.type(description="A named edge set of the schema.")
class EdgeSetInfo:
    name: str = strawberry.field(description="The set's name (an EdgeSet value)")
    types: list[str] = strawberry.field(description="The edge types it holds")


@strawberry.type(description="The schema the graph follows: node kinds, edge kinds and named edge sets.")
class SchemaInfo:
    node_kinds: list[NodeKindInfo] = strawberry.field(description="Every node kind")
    edge_kinds: list[EdgeKindInfo] = strawberry.field(description="Every edge kind")
    edge_sets: list[EdgeSetInfo] = strawberry.field(description="Every named edge set")

    @classmethod
    def of(cls, info: dict[str, Any]) -> "SchemaInfo":
        """From :func:`queries.info.schema_info`."""

        def props(items: list[dict[str, Any]]) -> list[PropertyInfo]:
            return [PropertyInfo(**p) for p in items]

        return cls(
            node_kinds=[
                NodeKindInfo(**{**k, "properties": props(k["properties"])}) for k in info["node_kinds"]
            ],
            edge_kinds=[
                EdgeKindInfo(**{**e, "properties": props(e["properties"])}) for e in info["edge_kinds"]
            ],
            edge_sets=[EdgeSetInfo(name=n, types=list(t)) for n, t in info["edge_sets"].items()],
        )


@strawberry.type(description="The summary of an ingest, as `crimegraph load --json` gives it, plus rejects.")
class IngestResult:
    read: int = strawberry.field(description="Records read from the payload")
    nodes_new: int = strawberry.field(description="Entities the caller could not see before")
    edges_new: int = strawberry.field(description="Links the caller could not see before")
    merged: int = strawberry.field(description="Entities and links the caller could already see, merged into")
    rejected: int = strawberry.field(description="Records refused (see rejects)")
    edges_pending: int = strawberry.field(description="Links waiting for an end not loaded yet")
    rejects: list[JSON] = strawberry.field(description="The first rejected records with their reason")


@strawberry.type(
    description="A link of the entity asked about with the entity at its other end, as the caller sees both."
)
class Neighbour:
    entity: Entity = strawberry.field(description="The entity at the link's other end")
    link: Link = strawberry.field(description="The link: type, ends, properties and provenance")
    direction: Direction = strawberry.field(
        description="OUT: the link runs from the entity asked about to this one; IN: the other way"
    )

    @classmethod
    def of(cls, found: FoundNeighbour) -> "Neighbour":
        return cls(
            entity=Entity.of(found.entity),
            link=Link.of(found.link),
            direction=Direction.OUT if found.outgoing else Direction.IN,
        )


@strawberry.type(description="A handle in a same-person candidate.")
class IdentityParty:
    key: str = strawberry.field(description="The handle's or actor's key")
    name: str = strawberry.field(description="Its name (the handle as written)")
    kind: str = strawberry.field(description="Its node kind (Actor)")


@strawberry.type(description="One signal behind a same-person candidate, with its match weight.")
class IdentityEvidence:
    signal: str = strawberry.field(description="wallet, contact, handle, hours, style, product, ...")
    detail: str = strawberry.field(description="What is shared (with its specificity) or how alike they are")
    weight: float = strawberry.field(
        description="Match weight: log2 of the Bayes factor this signal gives (+3 = 8 times likelier)"
    )


@strawberry.type(
    description="Two handles that may be one person: a match probability with its evidence; never a merge."
)
class IdentityCandidate:
    a: IdentityParty = strawberry.field(description="One handle of the pair (the smaller key)")
    b: IdentityParty = strawberry.field(description="The other handle of the pair")
    score: float = strawberry.field(description="Match probability (0..1) that both are one person")
    evidence: list[IdentityEvidence] = strawberry.field(description="Strongest first")
    group: int = strawberry.field(description="Same-person group: candidates linked together share it")
    status: str = strawberry.field(
        description="proposed, confirmed, or 'new evidence since rejected' (an analyst's decision)"
    )
    tlp: Tlp = strawberry.field(description="The highest marking among the evidence used")
    view: str = strawberry.field(
        description="Path of the workspace view of this pair on this server (both handles, their shared "
        "evidence highlighted, confirm / reject)"
    )

    @classmethod
    def of(cls, c: Candidate) -> "IdentityCandidate":
        def party(p: Profile) -> IdentityParty:
            return IdentityParty(key=p.key, name=p.name, kind=p.kind)

        return cls(
            a=party(c.a),
            b=party(c.b),
            score=round(c.score, 6),
            evidence=[
                IdentityEvidence(signal=e.signal, detail=e.detail, weight=round(e.weight, 3))
                for e in c.evidence
            ],
            group=c.group,
            status=c.status,
            tlp=Tlp[c.marking.name],
            view=pair_path(c.a.key, c.b.key),
        )


@strawberry.type(description="An analyst's decision on a same-person candidate, with who and when.")
class IdentityDecision:
    a: str = strawberry.field(description="Key of one handle of the pair")
    b: str = strawberry.field(description="Key of the other handle")
    verdict: str = strawberry.field(description="confirmed or rejected")
    analyst: str = strawberry.field(description="Who decided (the API key's name or the CLI's --analyst)")
    at: str = strawberry.field(description="When, as an ISO 8601 UTC time")
    score: float | None = strawberry.field(
        description="The pair's match probability then (null: not proposed)"
    )

    @classmethod
    def of(cls, record: dict[str, Any]) -> "IdentityDecision":
        return cls(
            a=record["a"],
            b=record["b"],
            verdict=record["verdict"],
            analyst=record["analyst"],
            at=record["at"],
            score=record["score"],
        )


@strawberry.type(
    description="A page of one entity's links (a Connection) and how many links the time window left out "
    "for carrying no observed date."
)
class NeighbourConnection(Connection[Neighbour]):
    undated_left_out: int = strawberry.field(description=UNDATED_LEFT_OUT, default=0)

    @classmethod
    def counted(cls, page: Connection[Neighbour], undated_left_out: int) -> "NeighbourConnection":
        return cls(
            edges=page.edges,
            page_info=page.page_info,
            total_count=page.total_count,
            undated_left_out=undated_left_out,
        )
