"""What one row of each CSV table yields: the node it describes, its links, and the nodes they name.

Every named endpoint is yielded too (with the dataset as its only source), so a table loads on its own:
a transactions file alone creates its wallets, an activity file its actors and forums.
"""

from __future__ import annotations

from typing import Any

from graph_model.entities import Edge, Node
from loaders.csv_row import Row, RowError

Items = list[Node | Edge]
VENUES = frozenset({"forum", "marketplace", "channel"})
ACTIVITY = {"active_on": "ACTIVE_ON", "sells_on": "SELLS_ON", "administers": "ADMINISTERS"}

# Contact identifiers an actor row may list (each a ;-separated list), stored under the same names.
CONTACT_COLUMNS = ("emails", "jabber_ids", "tox_ids", "telegram_handles", "pgp_fingerprints")


def actor(row: Row) -> Items:
    """An actor (person, handle or group) and the groups it is a member of."""
    node = row.node(
        "Actor",
        row.required("type").lower(),
        row.required("actor"),
        uuid=row.text("id"),
        aliases=row.items("aliases"),
        roles=row.items("roles"),
        country=row.text("country"),
        located_in=_country_code(row, "located_in"),
        status=row.text("status"),
        description=row.text("description"),
        **{column: row.items(column) for column in CONTACT_COLUMNS},
    )
    items: Items = [node]
    for ref in row.items("member_of"):
        group = row.reference("Actor", ref, "group")
        items += [group, row.edge("MEMBER_OF", node, group)]
    return items


def infrastructure(row: Row) -> Items:
    """A domain, IP, URL, host, AS, provider or e-mail and what it is hosted on, resolves to, belongs to."""
    node = row.node(
        "Infrastructure",
        row.required("type").lower(),
        row.required("value"),
        bulletproof=row.boolean("bulletproof"),
        country=row.text("country"),
        as_name=row.text("as_name"),
        port=row.integers("port"),
        status=row.text("status"),
        tags=row.items("tags"),
        description=row.text("description"),
        abuse_email=row.text("abuse_email"),
        abuse_phone=row.text("abuse_phone"),
        registrant_country=row.text("registrant_country"),
    )
    items: Items = [node]
    for column, role in (("registrar", "registrar"), ("registry", "registry")):
        for ref in row.items(column):
            party = row.reference("Infrastructure", ref, role, frozenset({role}))
            items += [party, row.edge("REGISTERED_WITH", node, party, props={"relation": role})]
    if row.items("upstream") and node.type != "asn":
        raise RowError("column 'upstream': only an autonomous system (type asn) has upstreams")
    if (row.text("registrar") or row.text("registry")) and node.type != "domain":
        raise RowError("columns 'registrar' and 'registry' apply to domains only")
    for ref in row.items("upstream"):
        upstream = row.reference("Infrastructure", ref, "asn", frozenset({"asn"}))
        items += [upstream, row.edge("CUSTOMER_OF", node, upstream)]
    for column, etype, default in (
        ("hosted_on", "HOSTED_ON", "provider"),
        ("resolves_to", "RESOLVES_TO", "domain"),
        ("belongs_to", "BELONGS_TO", "provider"),
    ):
        for ref in row.items(column):
            target = row.reference("Infrastructure", ref, default)
            items += [target, row.edge(etype, node, target)]
    for ref in row.items("operated_by"):
        operator = row.reference("Actor", ref, "group")
        items += [operator, row.edge("OPERATES", operator, node)]
    return items


def wallet(row: Row) -> Items:
    """A wallet (type = chain), the service it belongs to, and the actor owning it."""
    service_type = row.text("service_type")
    node = row.node(
        "Wallet",
        row.required("chain").lower(),
        row.required("address"),
        service=row.text("service"),
        service_type=service_type.lower() if service_type else None,
        cluster=row.text("cluster"),
        families=row.items("families"),
    )
    items: Items = [node]
    for ref in row.items("owner"):
        owner = row.reference("Actor", ref, "group")
        items += [owner, row.edge("OWNS", owner, node)]
    return items


def service(row: Row) -> Items:
    """A service wallets belong to (an exchange, a mixer...), keyed by the name wallets give as their
    ``service``, with its country and abuse contact."""
    service_type = row.text("service_type")
    return [
        row.node(
            "Identity",
            "organization",
            row.required("service"),
            service_type=service_type.lower() if service_type else None,
            country=row.text("country"),
            abuse_email=row.text("abuse_email"),
            abuse_phone=row.text("abuse_phone"),
            description=row.text("description"),
        )
    ]


def _country_code(row: Row, column: str) -> str | None:
    """An ISO 3166 alpha-2 code (upper-cased); RowError for anything else."""
    value = row.text(column)
    if value is None:
        return None
    if len(value) != 2 or not value.isalpha() or not value.isascii():
        raise RowError(f"column {column!r}: not a two-letter country code: {value!r}")
    return value.upper()


def transaction(row: Row) -> Items:
    """A transfer between two wallets; one row per transaction output, told apart by tx_id:output_index."""
    tx_id = row.required("tx_id")
    # An empty amount: this row states the transfer but not its amount (another source's row may; a CSV
    # export writes each source's row with only what that source stated).
    amount = row.number("amount")
    asset = row.text("asset")
    chain = (row.text("chain") or asset or "").lower()
    if not chain:
        raise RowError("a transaction needs a chain or an asset column")
    if chain not in row.ctx.model.node_kind("Wallet").types:
        raise RowError(f"unknown chain {chain!r}; give a chain column (btc, eth, trx…)")
    index = row.integer("output_index")
    source = row.named("Wallet", chain, row.required("from"))
    target = row.named("Wallet", chain, row.required("to"))
    edge = row.edge(
        "TRANSFERRED",
        source,
        target,
        tx_id if index is None else f"{tx_id}:{index}",
        {
            "amount": amount,
            "asset": (asset or chain).upper(),
            "amount_usd": row.number("amount_usd"),
            "time": row.time("time"),
            "tx_id": tx_id,
            "output_index": index,
        },
    )
    return [source, target, edge]


def forum(row: Row) -> Items:
    """A forum, marketplace or channel, its admins and escrow admins, and where it is hosted."""
    type_ = (row.text("type") or "forum").lower()
    if type_ not in VENUES:
        raise RowError(f"column 'type': {type_!r} is not one of {', '.join(sorted(VENUES))}")
    node = row.node(
        "Forum",
        type_,
        row.required("forum"),
        url=row.text("url"),
        escrow=row.boolean("escrow"),
        language=row.text("language"),
        status=row.text("status"),
        closed_at=row.time("closed_at"),
        aliases=row.items("aliases"),
    )
    items: Items = [node]
    for column, role in (("admins", "admin"), ("escrow_admins", "escrow")):
        for ref in row.items(column):
            admin = row.reference("Actor", ref, "handle")
            items += [admin, row.edge("ADMINISTERS", admin, node, props={"role": role})]
    for ref in row.items("hosted_on"):
        host = row.reference("Infrastructure", ref, "provider")
        items += [host, row.edge("HOSTED_ON", node, host)]
    return items


def _venue(row: Row) -> tuple[Node, str]:
    """The forum a thread, post or activity row names, and the scope its thread/post ids live in."""
    venue = row.reference("Forum", row.required("forum"), "forum", VENUES)
    return venue, venue.key.partition(":")[2]


def thread(row: Row) -> Items:
    """A thread (keyed ``<forum>/<thread_id>``), the forum it is part of, and its author."""
    venue, scope = _venue(row)
    node = row.node(
        "Forum",
        "thread",
        f"{scope}/{row.required('thread_id')}",
        title=row.text("title"),
        posted_at=row.time("posted_at"),
        url=row.text("url"),
    )
    items: Items = [node, venue, row.edge("PART_OF", node, venue)]
    author = row.text("author")
    if author:
        writer = row.reference("Actor", author, "handle")
        items += [writer, row.edge("POSTED", writer, node)]
    return items


def post(row: Row) -> Items:
    """A post (keyed ``<forum>/<post_id>``), the thread it is part of (and the thread's forum), its author."""
    venue, scope = _venue(row)
    node = row.node(
        "Forum",
        "post",
        f"{scope}/{row.required('post_id')}",
        posted_at=row.time("posted_at"),
        text=row.text("text"),
    )
    parent = row.named("Forum", "thread", f"{scope}/{row.required('thread_id')}")
    items: Items = [node, parent, row.edge("PART_OF", node, parent)]
    # The thread's place in the forum is implied, not stated by this row: dataset-level provenance,
    # so a thread with many posts does not collect a source per post.
    items += [venue, row.edge("PART_OF", parent, venue, implied=True)]
    author = row.text("author")
    if author:
        writer = row.reference("Actor", author, "handle")
        items += [writer, row.edge("POSTED", writer, node)]
    return items


def activity(row: Row) -> Items:
    """An actor's presence on a forum: active on, sells on or administers, with counts and dates."""
    relation = (row.text("relation") or "active_on").lower()
    etype = ACTIVITY.get(relation)
    if etype is None:
        raise RowError(f"column 'relation': {relation!r} is not one of {', '.join(ACTIVITY)}")
    declared = row.ctx.model.edge_kind(etype).properties
    props: dict[str, Any] = {
        "posts": row.integer("posts"),
        "threads": row.integer("threads"),
        "product": row.text("product"),
        "role": row.text("role"),
        "weight": row.number("weight"),
    }
    for column, value in props.items():
        if value is not None and column not in declared:
            raise RowError(f"column {column!r} does not apply to relation {relation!r}")
    venue, _ = _venue(row)
    who = row.reference("Actor", row.required("actor"), "handle")
    return [who, venue, row.edge(etype, who, venue, props=props)]


def edge(row: Row) -> Items:
    """Any edge kind of the schema between two nodes named by kind, type and value."""
    model = row.ctx.model
    etype = row.required("type").upper()
    if etype not in model.edges:
        raise RowError(f"column 'type': unknown edge kind {etype!r}")
    ends: list[Node] = []
    for side in ("source", "target"):
        kind = row.required(f"{side}_kind")
        if kind not in model.nodes:
            kind = next((k for k in model.nodes if k.lower() == kind.lower()), kind)
        if kind not in model.nodes:
            raise RowError(f"column '{side}_kind': unknown node kind {kind!r}")
        type_ = row.required(f"{side}_type").lower()
        if type_ not in model.nodes[kind].types:
            raise RowError(f"column '{side}_type': {kind} has no type {type_!r}")
        ends.append(row.named(kind, type_, row.required(side)))
    source, target = ends
    if not model.edge_kind(etype).allows(source.kind, target.kind):
        raise RowError(f"{etype} cannot link {source.kind} to {target.kind}")
    link = row.edge(
        etype,
        source,
        target,
        row.text("discriminator") or "",
        {"weight": row.number("weight"), "relation": row.text("relation")},
    )
    return [source, target, link]
