"""Every Cypher statement crimegraph runs, as small named functions.

Values are always parameters. Labels and relationship types enter query text only through
:func:`label`, which admits names declared in the schema and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from graph_model.errors import SchemaError
from graph_model.model import Model

ENTITY = "Entity"
IDENTIFIER = "EntityId"
PENDING = "PendingEdge"
# Kinds keyed by their whole STIX id (``stix:<type>--<uuid>``) since layout 4; before, by ``uuid:<uuid>``.
STIX_ID_KINDS = ("Indicator", "Report", "Note")
OLD_STIX_KEYS = (
    f"MATCH (n:{ENTITY}) WHERE n.kind IN $kinds AND n.key STARTS WITH 'uuid:' RETURN n.key AS key LIMIT 1"
)
WRITES = "CrimegraphWrites"  # one node counting write transactions (see neo4j_store, memory)
# What a stored entity holds, numbered as the embedded store's file layout; every write marks the counter
# with it, so a database written by an earlier version is refused (5: ``stated``, who stated each property).
LAYOUT = 5
OLD_LAYOUT = (
    f"MATCH (n:{ENTITY}) WITH n LIMIT 1 OPTIONAL MATCH (w:{WRITES} {{id: 0}}) "
    "RETURN coalesce(w.layout, 0) AS layout"
)
# The state beyond the graph (GraphStore.put_state ...): records and counters, under labels no query of
# the graph matches (every one of those starts from ``Entity``).
STATE = "CrimegraphState"
COUNTER = "CrimegraphCounter"
SEARCH_INDEX = "entity_search"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def label(model: Model, name: str) -> str:
    """A node label or relationship type from the schema, quoted for query text."""
    if (name not in model.nodes and name not in model.edges) or not _NAME.match(name):
        raise SchemaError(f"{name!r} is not a kind in the schema")
    return f"`{name}`"


def schema_statements(model: Model) -> list[str]:
    """Constraints and indexes, derived from the schema; all idempotent."""
    statements = [
        f"CREATE CONSTRAINT entity_key IF NOT EXISTS FOR (n:{ENTITY}) REQUIRE n.key IS UNIQUE",
        f"CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (i:{IDENTIFIER}) REQUIRE i.id IS UNIQUE",
        f"CREATE CONSTRAINT pending_key IF NOT EXISTS FOR (p:{PENDING}) REQUIRE p.key IS UNIQUE",
        f"CREATE INDEX pending_source IF NOT EXISTS FOR (p:{PENDING}) ON (p.source)",
        f"CREATE INDEX pending_target IF NOT EXISTS FOR (p:{PENDING}) ON (p.target)",
        f"CREATE INDEX entity_kind IF NOT EXISTS FOR (n:{ENTITY}) ON (n.kind)",
        f"CREATE CONSTRAINT writes_id IF NOT EXISTS FOR (w:{WRITES}) REQUIRE w.id IS UNIQUE",
        f"CREATE CONSTRAINT state_id IF NOT EXISTS FOR (s:{STATE}) REQUIRE s.id IS UNIQUE",
        f"CREATE INDEX state_namespace IF NOT EXISTS FOR (s:{STATE}) ON (s.namespace)",
        f"CREATE CONSTRAINT counter_id IF NOT EXISTS FOR (c:{COUNTER}) REQUIRE c.id IS UNIQUE",
        # Text is tokenised and case-folded in Python (codec.words), so both stores match alike.
        f"CREATE FULLTEXT INDEX {SEARCH_INDEX} IF NOT EXISTS FOR (n:{ENTITY}) ON EACH [n.search_text] "
        "OPTIONS {indexConfig: {`fulltext.analyzer`: 'whitespace'}}",
    ]
    for edge in sorted(model.edges):
        # Parallel relationships (a hub pair can hold thousands) are told apart by their discriminator;
        # only relationships that have one are indexed. See _find_edges.
        statements.append(
            f"CREATE INDEX rel_discriminator_{edge.lower()} IF NOT EXISTS "
            f"FOR ()-[r:{label(model, edge)}]-() ON (r.discriminator)"
        )
        # Earlier versions stored and indexed a key on every relationship.
        statements.append(f"DROP INDEX rel_key_{edge.lower()} IF EXISTS")
    return statements


# The fixed columns of ``codec.node_row`` (plus the node's search text).
_PROV_FIELDS = (
    "sources",
    "first_seen",
    "last_seen",
    "date_added",
    "created",
    "modified",
    "confidence",
    "tlp",
    "tlp_rank",
    "levels",
    "stated",
)
_NODE_FIELDS: tuple[str, ...] = ("key", "kind", "type", "name", "ids", *_PROV_FIELDS, "search_text")
# What a relationship stores beside its schema properties. Its type and end nodes are the graph's own,
# and its key and TLP label follow from them and from tlp_rank, so reads rebuild those (``EDGE_COLUMNS``).
_EDGE_FIELDS: tuple[str, ...] = (
    "discriminator",
    "sources",
    "first_seen",
    "last_seen",
    "date_added",
    "created",
    "modified",
    "confidence",
    "tlp_rank",
    "levels",
    "stated",
    "first_seen_by",
    "last_seen_by",
)
# What an entity and a relationship store beside the schema's properties (``neo4j_files`` writes them).
STORED_NODE_FIELDS = _NODE_FIELDS
STORED_EDGE_FIELDS = _EDGE_FIELDS
# The columns of every query returning relationships: ``neo4j_store`` rebuilds an Edge from them.
EDGE_COLUMNS = "properties(r) AS p, type(r) AS type"


def _fields(model: Model, name: str) -> tuple[str, ...]:
    """Every property a stored row of this node kind or edge type can hold (see ``codec``)."""
    if name in model.nodes:
        declared, fixed = model.nodes[name].properties, _NODE_FIELDS
    else:
        declared, fixed = model.edges[name].properties, _EDGE_FIELDS
    names = (*fixed, *sorted(set(declared) - set(fixed)))
    for field in names:
        if not _NAME.match(field):
            raise SchemaError(f"{field!r} is not a property name")
    return names


def _set(model: Model, var: str, name: str, skip: tuple[str, ...]) -> str:
    """``SET var.p = row.p, …`` for every possible property but ``skip``: the same as ``SET var = row``
    (absent ones become null, i.e. removed) with the names in the query text, so no Eager is planned."""
    return "SET " + ", ".join(f"{var}.`{f}` = row.`{f}`" for f in _fields(model, name) if f not in skip)


def _map(model: Model, name: str) -> str:
    """``{p: row.p, …}`` for every possible property (CREATE skips the null ones)."""
    return "{" + ", ".join(f"`{f}`: row.`{f}`" for f in _fields(model, name)) + "}"


def _resolve() -> str:
    """``UNWIND $ids AS id`` binding ``key``, the entity key ``id`` resolves to, and ``e``, that entity.

    A key names itself; other ids live on EntityId nodes, looked up only for ids that are no key.
    """
    return (
        f"UNWIND $ids AS id OPTIONAL MATCH (n:{ENTITY} {{key: id}}) "
        "OPTIONAL CALL (id, n) { "
        # A list of one or none: a filter here would run after the EntityId seek, not instead of it.
        "UNWIND CASE WHEN n IS NULL THEN [id] ELSE [] END AS other "
        f"MATCH (i:{IDENTIFIER} {{id: other}}) OPTIONAL MATCH (m:{ENTITY} {{key: i.key}}) "
        "RETURN i.key AS alias_of, m } "
        "WITH id, coalesce(n.key, alias_of) AS key, coalesce(n, m) AS e WHERE key IS NOT NULL "
    )


def gathered(text: str, columns: Sequence[str]) -> str:
    """``text`` with its rows gathered into one record (``rows``: a list of ``[column, ...]`` lists).

    The Python driver's cost is per record (~50 µs: a socket read and a record object each), several
    times what the server spends producing a row; one record of lists is decoded in one pass.
    """
    return f"CALL () {{ {text} }} RETURN collect([{', '.join(columns)}]) AS rows"


def count_write() -> str:
    """Number this write transaction, locking the counter until it ends (so writers take turns).

    ``epoch`` is new whenever the counter is (made again after the database was emptied); a writer
    that sees the epoch it saw last and the next number knows that no one else wrote in between.
    """
    return (
        f"{_WRITES_NODE}SET w.seq = w.seq + 1, w.version = coalesce(w.version, 0) + 1, w.layout = {LAYOUT} "
        "RETURN w.epoch AS epoch, w.seq AS seq"
    )


_WRITES_NODE = f"MERGE (w:{WRITES} {{id: 0}}) ON CREATE SET w.epoch = randomUUID(), w.seq = 0, w.version = 0 "


def data_version() -> str:
    """The data version: how many graph writes and versioned state writes there were (0 for none)."""
    return f"OPTIONAL MATCH (w:{WRITES} {{id: 0}}) RETURN coalesce(w.version, 0) AS version"


def bump_version() -> str:
    """Increase the data version (a versioned state write)."""
    return f"{_WRITES_NODE}SET w.version = coalesce(w.version, 0) + 1"


def put_state() -> str:
    return f"MERGE (s:{STATE} {{id: $id}}) SET s.namespace = $namespace, s.key = $key, s.value = $value"


def get_state() -> str:
    return f"MATCH (s:{STATE} {{id: $id}}) RETURN s.value AS value"


def list_state() -> str:
    return (
        f"MATCH (s:{STATE}) WHERE s.namespace = $namespace AND s.key STARTS WITH $prefix "
        "RETURN s.key AS key, s.value AS value ORDER BY key"
    )


def delete_state() -> str:
    """Delete a record and a counter; how many of each existed."""
    return (
        f"OPTIONAL MATCH (s:{STATE} {{id: $id}}) OPTIONAL MATCH (c:{COUNTER} {{id: $id}}) "
        "WITH s, c, count(s) AS records, count(c) AS counters DELETE s, c RETURN records, counters"
    )


def incr_state() -> str:
    """Count an event in a sliding window: the counter is write-locked (``_lock``) before its events are
    read, so concurrent increments take turns and none is lost; events at or before ``$since`` go."""
    return (
        f"MERGE (c:{COUNTER} {{id: $id}}) SET c._lock = true "
        "WITH c, [t IN coalesce(c.events, []) WHERE t > $since] AS kept "
        "SET c.events = kept + [i IN range(1, $by) | $now][..$max - size(kept)] "
        "REMOVE c._lock RETURN size(c.events) AS n"
    )


def count_state() -> str:
    """How many events a counter holds after ``$since`` (without counting one)."""
    return (
        f"OPTIONAL MATCH (c:{COUNTER} {{id: $id}}) "
        "RETURN size([t IN coalesce(c.events, []) WHERE t > $since]) AS n"
    )


def count_entities() -> str:
    """How many entities and identifiers exist (from the count store, at once)."""
    return (
        f"CALL () {{ MATCH (n:{ENTITY}) RETURN count(n) AS entities }} "
        f"CALL () {{ MATCH (i:{IDENTIFIER}) RETURN count(i) AS ids }} RETURN entities + ids AS n"
    )


def resolve_ids() -> str:
    """Map identifiers to entity keys, with the entity's element id (null if it does not exist)."""
    return f"{_resolve()}RETURN id, key, elementId(e) AS element_id"


def resolve_nodes() -> str:
    """:func:`resolve_ids` plus the properties of the entity each identifier resolves to."""
    return f"{_resolve()}RETURN id, key, elementId(e) AS element_id, properties(e) AS p"


def get_nodes() -> str:
    """The entities identifiers name, at or below a clearance: ``base.GraphStore.get_many`` in one query."""
    return f"{_resolve()}AND e.tlp_rank <= $clearance RETURN id, properties(e) AS p"


def node_kinds() -> str:
    """The kinds of the entities with the given keys."""
    return f"UNWIND $keys AS k MATCH (n:{ENTITY} {{key: k}}) RETURN k AS key, n.kind AS kind"


def element_ids() -> str:
    """The element ids of the entities with the given keys."""
    return f"UNWIND $keys AS k MATCH (n:{ENTITY} {{key: k}}) RETURN k AS key, elementId(n) AS element_id"


def fetch_nodes() -> str:
    """Entities by key at or below a clearance."""
    return (
        f"UNWIND $keys AS k MATCH (n:{ENTITY} {{key: k}}) WHERE n.tlp_rank <= $clearance "
        "RETURN properties(n) AS p"
    )


def _find_edges(model: Model, edge_type: str, discriminated: bool) -> str:
    """``UNWIND $rows AS row`` binding ``a-[r]->b``: the relationship of one type from the entity with
    element id ``row.source`` to the one with ``row.target`` with ``row.discriminator`` (non-empty iff
    ``discriminated``).

    With a discriminator, through that type's discriminator index. Without one, the subquery, given
    both ends, can only expand from one into the other (Expand(Into) walks the end with fewer
    relationships); as one pattern, a plan cached on a small graph may expand from a hub instead.
    """
    rel = label(model, edge_type)
    if discriminated:
        return (
            f"UNWIND $rows AS row MATCH (a)-[r:{rel} {{discriminator: row.discriminator}}]->(b) "
            f"USING INDEX SEEK r:{rel}(discriminator) "
            "WHERE elementId(a) = row.source AND elementId(b) = row.target "
        )
    return (
        f"{_ends()}CALL (a, b) {{ MATCH (a)-[r:{rel}]->(b) "
        "WHERE coalesce(r.discriminator, '') = '' RETURN r } "
    )


def _ends() -> str:
    """``UNWIND $rows AS row`` binding the entities with element ids ``row.source`` and ``row.target``.

    Element ids come from reads in the same transaction, and Neo4j reuses the id of a deleted entity
    only once every transaction open at its deletion has closed; finding them by id costs a fifth of
    two unique-index seeks.
    """
    return (
        "UNWIND $rows AS row MATCH (a) WHERE elementId(a) = row.source "
        "MATCH (b) WHERE elementId(b) = row.target "
    )


def fetch_edges(model: Model, edge_type: str, discriminated: bool) -> str:
    """Relationships of one type by end entities and discriminator (see :func:`_find_edges`)."""
    found = _find_edges(model, edge_type, discriminated)
    return f"{found}RETURN a.key AS source, b.key AS target, {EDGE_COLUMNS}"


def fetch_pending() -> str:
    return f"UNWIND $keys AS k MATCH (p:{PENDING} {{key: k}}) RETURN p.data AS data"


def take_pending() -> str:
    """Remove and return the waiting edges that name any of ``$ids`` as an endpoint.

    Most loads leave nothing waiting: the count store says so at once, and unwinding no ids skips two
    index seeks per id (a filter on the count would be planned after the seeks, not before).
    """
    return (
        f"MATCH (w:{PENDING}) WITH count(w) AS waiting "
        "UNWIND CASE WHEN waiting > 0 THEN $ids ELSE [] END AS id "
        f"MATCH (p:{PENDING}) WHERE p.source = id OR p.target = id "
        "WITH DISTINCT p WITH p, p.data AS data DELETE p RETURN data"
    )


def merge_nodes(model: Model, kind: str) -> str:
    """Create or replace entities of one kind (properties are merged in Python beforehand)."""
    return (
        f"UNWIND $rows AS row MERGE (n:{ENTITY} {{key: row.key}}) "
        f"{_set(model, 'n', kind, ('key',))} SET n:{label(model, kind)}"
    )


def create_nodes(model: Model, kind: str) -> str:
    """Create entities of one kind that the same transaction found absent; returns their element ids."""
    return (
        f"UNWIND $rows AS row CREATE (n:{ENTITY}:{label(model, kind)} {_map(model, kind)}) "
        "RETURN n.key AS key, elementId(n) AS element_id"
    )


def rename_entities() -> str:
    """Key entities anew (``rows``: old, new): the entity, the identifiers that named it, and its old key as
    an identifier of it. Its relationships are its own, so they follow."""
    return (
        f"UNWIND $rows AS row MATCH (n:{ENTITY} {{key: row.old}}) SET n.key = row.new "
        f"WITH row CALL (row) {{ MATCH (i:{IDENTIFIER}) WHERE i.key = row.old SET i.key = row.new }} "
        f"MERGE (o:{IDENTIFIER} {{id: row.old}}) SET o.key = row.new"
    )


def merge_ids() -> str:
    """Record extra identifiers; an identifier keeps the entity that claimed it first."""
    return f"UNWIND $rows AS row MERGE (i:{IDENTIFIER} {{id: row.id}}) ON CREATE SET i.key = row.key"


def update_edges(model: Model, edge_type: str, discriminated: bool) -> str:
    """Replace the properties of relationships of one type, found as in :func:`fetch_edges`; returns the
    ones found, so the caller can create the others."""
    return (
        f"{_find_edges(model, edge_type, discriminated)}"
        # Earlier versions stored the TLP label too; it would go stale. The rest they stored cannot.
        f"{_set(model, 'r', edge_type, ('discriminator',))} REMOVE r.tlp "
        "RETURN elementId(a) AS source, elementId(b) AS target, "
        "coalesce(r.discriminator, '') AS discriminator"
    )


def create_edges(model: Model, edge_type: str) -> str:
    """Create relationships of one type (ends as in :func:`_find_edges`)."""
    return f"{_ends()}CREATE (a)-[r:{label(model, edge_type)} {_map(model, edge_type)}]->(b)"


def merge_pending() -> str:
    return (
        f"UNWIND $rows AS row MERGE (p:{PENDING} {{key: row.key}}) "
        "SET p.source = row.source, p.target = row.target, p.data = row.data"
    )


def _seen(which: str) -> str:
    """``r``'s first or last seen date as the caller sees it: a relationship with sources at several
    levels keeps, for each clearance, the date of the levels within it (``codec.seen_by``; '' for none),
    so a time window never tells a caller of a date that only a source above clearance gave."""
    return (
        f"CASE WHEN r.levels IS NULL THEN r.{which}_seen "
        f"WHEN r.{which}_seen_by[$clearance] <> '' THEN r.{which}_seen_by[$clearance] END"
    )


# ``r`` in the time window ``$since``/``$until`` (either may be null: no window when both are); a
# relationship without an observed date (as the caller sees it) only when ``$undated``.
_IN_WINDOW = (
    f"AND ($since IS NULL OR coalesce({_seen('last')} >= $since, true)) "
    f"AND ($until IS NULL OR coalesce({_seen('first')} <= $until, true)) "
    f"AND ($undated OR ($since IS NULL AND $until IS NULL) "
    f"OR {_seen('first')} IS NOT NULL OR {_seen('last')} IS NOT NULL) "
)


def links(model: Model, types: frozenset[str]) -> str:
    """Visible relationships of ``types`` touching the given entities, both ends visible, in the time
    window ``$since``/``$until`` (see ``_IN_WINDOW``), each once.

    The types are in the pattern (from the schema, through :func:`label`) so a hub's relationships of
    other types are never read. Returns what ``base.Link`` holds; ``ref`` is the element id.
    """
    pattern = "|".join(label(model, t) for t in sorted(types))
    return (
        f"UNWIND $keys AS k MATCH (a:{ENTITY} {{key: k}})-[r:{pattern}]-(b:{ENTITY}) "
        "WHERE a.tlp_rank <= $clearance AND r.tlp_rank <= $clearance AND b.tlp_rank <= $clearance "
        f"{_IN_WINDOW}"
        "WITH DISTINCT r WITH r, startNode(r) AS s, endNode(r) AS t "
        "RETURN elementId(r) AS ref, type(r) AS type, s.key AS source, t.key AS target, "
        "s.kind AS source_kind, t.kind AS target_kind, coalesce(r.discriminator, '') AS discriminator"
    )


def timeline(model: Model, types: frozenset[str]) -> str:
    """:func:`links` of one entity ``$key`` in time order as the caller sees the dates (first seen, then
    last seen, undated last, then the edge key), ordered and cut on the server: one row with ``total``
    and ``page``, the ``$limit`` relationships from ``$offset`` as [element id, type, source, target,
    source kind, target kind, discriminator]."""
    pattern = "|".join(label(model, t) for t in sorted(types))
    return (
        f"MATCH (a:{ENTITY} {{key: $key}})-[r:{pattern}]-(b:{ENTITY}) "
        "WHERE a.tlp_rank <= $clearance AND r.tlp_rank <= $clearance AND b.tlp_rank <= $clearance "
        "WITH DISTINCT r "
        f"WITH r, {_seen('first')} AS first, {_seen('last')} AS last, startNode(r) AS s, endNode(r) AS t "
        "WITH r, s, t, first IS NULL AND last IS NULL AS undated, coalesce(first, last, '') AS since, "
        "coalesce(last, '') AS until, coalesce(r.discriminator, '') AS discriminator "
        "ORDER BY undated, since, until, type(r) + '|' + s.key + '|' + t.key + '|' + discriminator "
        "WITH collect([elementId(r), type(r), s.key, t.key, s.kind, t.kind, discriminator]) AS rows "
        "RETURN size(rows) AS total, rows[$offset..$offset + $limit] AS page"
    )


def _around(model: Model, types: frozenset[str]) -> str:
    """The visible relationships ``r`` of ``types`` between the entity ``$key`` (``a``) and another
    (``b``) of ``$kinds`` (null: any), in the time window (see ``_IN_WINDOW``)."""
    pattern = "|".join(label(model, t) for t in sorted(types))
    return (
        f"MATCH (a:{ENTITY} {{key: $key}})-[r:{pattern}]-(b:{ENTITY}) "
        "WHERE a.tlp_rank <= $clearance AND r.tlp_rank <= $clearance AND b.tlp_rank <= $clearance "
        f"{_IN_WINDOW}AND ($kinds IS NULL OR b.kind IN $kinds) "
    )


def neighbour_page(model: Model, types: frozenset[str]) -> str:
    """The relationships of ``_around``: how many (``total``) and the ``$limit`` from ``$offset`` in the
    order of ``GraphStore.neighbour_page`` (the other end's key, type, edge key), cut on the server with
    a top-k sort, so a hub's relationships are counted where they are and only the page is sent
    (``page``: [element id, type, source, target, source kind, target kind, discriminator])."""
    around = _around(model, types)
    return (
        f"CALL () {{ {around}RETURN count(DISTINCT r) AS total }} "
        f"CALL () {{ {around}WITH DISTINCT r, b WITH r, b, startNode(r) AS s, endNode(r) AS t, "
        "coalesce(r.discriminator, '') AS discriminator "
        "ORDER BY b.key, type(r), type(r) + '|' + s.key + '|' + t.key + '|' + discriminator "
        "SKIP $offset LIMIT $limit "
        "RETURN collect([elementId(r), type(r), s.key, t.key, s.kind, t.kind, discriminator]) AS page } "
        "RETURN total, page"
    )


def undated_links(model: Model, types: frozenset[str], out: bool | None = None) -> str:
    """How many visible relationships of ``types`` touch ``$keys`` (an end in ``$keys`` whose other end is
    of ``$kinds``, null: any) and carry no observed date as the caller sees them; counted on the server.
    ``out``: only those leaving ``$keys`` (True) or entering them (False), self-loops apart."""
    pattern = "|".join(label(model, t) for t in sorted(types))
    arrow = {None: f"-[r:{pattern}]-", True: f"-[r:{pattern}]->", False: f"<-[r:{pattern}]-"}[out]
    return (
        f"UNWIND $keys AS k MATCH (a:{ENTITY} {{key: k}}){arrow}(b:{ENTITY}) "
        "WHERE a.tlp_rank <= $clearance AND r.tlp_rank <= $clearance AND b.tlp_rank <= $clearance "
        f"{'' if out is None else 'AND a <> b '}"
        f"AND ($kinds IS NULL OR b.kind IN $kinds) AND {_seen('first')} IS NULL AND {_seen('last')} IS NULL "
        "RETURN count(DISTINCT r) AS undated"
    )


def near(model: Model, types: frozenset[str], *, everything: bool = False) -> str:
    """:func:`links` per entity, capped on the server: each entity's distinct visible neighbours (of
    ``$kinds``, null for any), how many, and the relationships to those shown - all, or past ``$cap``
    the first ``$cap`` by key and those in ``$keep`` - so a hub's thousands of relationships are
    counted where they are, not sent. ``everything``: the caller's clearance is the highest, which sees
    every marking, so no marking is read (a hub's count is mostly those reads). One row per entity:
    its key and kind, ``degree``, and ``shown``, a list of ``[neighbour key, neighbour kind, [[element
    id, type, outgoing, discriminator], ...]]`` (a self-loop's relationship appears twice). Grouped
    rows: decoding one record per relationship cost the client more than the server's walk."""
    pattern = "|".join(label(model, t) for t in sorted(types))
    visible = "" if everything else "AND r.tlp_rank <= $clearance AND b.tlp_rank <= $clearance "
    return (
        f"UNWIND $keys AS k MATCH (a:{ENTITY} {{key: k}}) WHERE a.tlp_rank <= $clearance "
        "CALL (a) { "
        f"OPTIONAL MATCH (a)-[r:{pattern}]-(b:{ENTITY}) "
        f"WHERE ($kinds IS NULL OR b.kind IN $kinds) {visible}{_IN_WINDOW}"
        "WITH b, collect(r) AS rs WHERE b IS NOT NULL "
        "WITH b, b.key AS bk, rs ORDER BY bk "
        "WITH collect(bk) AS ks, collect(b) AS bs, collect(rs) AS rss "
        "WITH size(ks) AS degree, ks, bs, rss, CASE WHEN $cap IS NULL OR size(ks) <= $cap "
        "THEN range(0, size(ks) - 1) "
        "ELSE range(0, $cap - 1) + [i IN range($cap, size(ks) - 1) WHERE ks[i] IN $keep] END AS shown "
        "RETURN degree, [i IN shown | [ks[i], bs[i].kind, [r IN rss[i] | "
        "[elementId(r), type(r), startNode(r) = a, coalesce(r.discriminator, '')]]]] AS shown } "
        "RETURN a.key AS key, a.kind AS kind, degree, shown"
    )


def edges_by_ref() -> str:
    """Relationships by element id (from :func:`links`), both ends and the relationship visible."""
    return (
        "UNWIND $refs AS ref MATCH (a)-[r]->(b) WHERE elementId(r) = ref "
        "AND r.tlp_rank <= $clearance AND a.tlp_rank <= $clearance AND b.tlp_rank <= $clearance "
        f"RETURN ref, a.key AS source, b.key AS target, {EDGE_COLUMNS}"
    )


def onward_page(model: Model, types: frozenset[str], out: bool, *, everything: bool = False) -> str:
    """:meth:`GraphStore.onward_page` on the server: the visible relationships of ``types`` leaving
    ``$keys`` (``out``: from them; else into them), self-loops apart, in the time window, grouped by the
    far end - those to an end in ``$reached`` first (when ``$after`` is null), then those to the next
    ``$ends`` other ends in key order after ``$after`` - so only the page is sent. One row: ``more``
    (whether more other ends remain) and ``groups``, per end of the page in that order ``[end key, end
    kind, [[element id, near key, near kind, type, discriminator, first seen, picked, p], ...]]``: of a
    relationship with one marking ``picked`` holds the properties ``$props`` (null where absent), of
    one with several ``p`` holds the whole of it (the client builds the caller's view), as
    :func:`edge_facts`. Grouped: the far end's key and kind go once, not with every relationship.
    ``everything``: the caller's clearance is the highest, so no marking is read (as :func:`near`)."""
    pattern = "|".join(label(model, t) for t in sorted(types))
    arrow = f"-[r:{pattern}]->" if out else f"<-[r:{pattern}]-"
    visible = "" if everything else "AND r.tlp_rank <= $clearance AND b.tlp_rank <= $clearance "
    return (
        f"UNWIND $keys AS k MATCH (a:{ENTITY} {{key: k}}){arrow}(b:{ENTITY}) "
        f"WHERE a.tlp_rank <= $clearance {visible}AND a <> b {_IN_WINDOW}"
        "WITH b, b.key IN $reached AS old, collect([r, a]) AS rs "
        "WHERE old OR $after IS NULL OR b.key > $after "
        "WITH b, old, rs ORDER BY b.key "
        "WITH [g IN collect([b, old, rs]) WHERE g[1] AND $after IS NULL] AS olds, "
        "[g IN collect([b, old, rs]) WHERE NOT g[1]] AS news "
        "RETURN size(news) > $ends AS more, [g IN olds + news[0..$ends] | [g[0].key, g[0].kind, "
        "[pair IN g[2] | [elementId(pair[0]), pair[1].key, pair[1].kind, type(pair[0]), "
        "coalesce(pair[0].discriminator, ''), pair[0].first_seen, "
        "CASE WHEN pair[0].levels IS NULL THEN [name IN $props | pair[0][name]] END, "
        "CASE WHEN pair[0].levels IS NULL THEN null ELSE properties(pair[0]) END]]]] AS groups"
    )


def edge_facts() -> str:
    """:func:`edges_by_ref` for :meth:`GraphStore.facts`: of a relationship with one marking only the
    properties ``$props`` (null where absent) and its first seen date; the whole of one with several
    (``p``, null otherwise), whose view the client builds."""
    return (
        "UNWIND $refs AS ref MATCH (a)-[r]->(b) WHERE elementId(r) = ref "
        "AND r.tlp_rank <= $clearance AND a.tlp_rank <= $clearance AND b.tlp_rank <= $clearance "
        "RETURN ref, a.key AS source, b.key AS target, type(r) AS type, "
        "coalesce(r.discriminator, '') AS discriminator, r.first_seen AS first_seen, "
        "CASE WHEN r.levels IS NULL THEN [name IN $props | r[name]] END AS picked, "
        "CASE WHEN r.levels IS NULL THEN null ELSE properties(r) END AS p"
    )


def scan_nodes() -> str:
    return (
        f"MATCH (n:{ENTITY}) WHERE n.tlp_rank <= $clearance AND ($kinds IS NULL OR n.kind IN $kinds) "
        "RETURN properties(n) AS p"
    )


def scan_edges() -> str:
    return (
        f"MATCH (a:{ENTITY})-[r]->(b:{ENTITY}) WHERE type(r) IN $types AND r.tlp_rank <= $clearance "
        "AND a.tlp_rank <= $clearance AND b.tlp_rank <= $clearance "
        "AND ($kinds IS NULL OR (a.kind IN $kinds AND b.kind IN $kinds)) "
        f"RETURN a.key AS source, b.key AS target, {EDGE_COLUMNS}"
    )


def stored_nodes() -> str:
    """Every entity as stored (all markings: for copying a store, never for a caller)."""
    return f"MATCH (n:{ENTITY}) RETURN properties(n) AS p ORDER BY n.key"


def stored_ids() -> str:
    return f"MATCH (i:{IDENTIFIER}) RETURN i.id AS id, i.key AS key ORDER BY i.id"


def stored_edges() -> str:
    """Every relationship between entities as stored (all markings: for copying a store)."""
    return f"MATCH (a:{ENTITY})-[r]->(b:{ENTITY}) RETURN a.key AS source, b.key AS target, {EDGE_COLUMNS}"


def stored_pending() -> str:
    return f"MATCH (p:{PENDING}) RETURN p.key AS key, p.data AS data ORDER BY p.key"


def search() -> str:
    """Full-text hits visible at a clearance, a page (``$skip``, ``$limit``) at a time."""
    return (
        f"CALL db.index.fulltext.queryNodes('{SEARCH_INDEX}', $query) YIELD node, score "
        "WHERE node.tlp_rank <= $clearance AND ($kinds IS NULL OR node.kind IN $kinds) "
        "RETURN properties(node) AS p ORDER BY score DESC, node.key SKIP $skip LIMIT $limit"
    )


def count_nodes() -> str:
    return f"MATCH (n:{ENTITY}) WHERE n.tlp_rank <= $clearance RETURN n.kind AS kind, count(*) AS n"


def count_edges() -> str:
    return (
        f"MATCH (a:{ENTITY})-[r]->(b:{ENTITY}) WHERE r.tlp_rank <= $clearance AND a.tlp_rank <= $clearance "
        "AND b.tlp_rank <= $clearance RETURN type(r) AS type, count(*) AS n"
    )


def clear(state: bool = False) -> list[str]:
    """Delete the graph in chunks: relationships first, so a dense node never needs one huge transaction;
    then every node but the write counter (the data version never goes back) and, unless ``state``, the
    state records and counters. Last, count the clear as a write."""
    kept = [WRITES] if state else [WRITES, STATE, COUNTER]
    spared = " AND ".join(f"NOT n:{name}" for name in kept)
    return [
        "MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS",
        f"MATCH (n) WHERE {spared} CALL (n) {{ DETACH DELETE n }} IN TRANSACTIONS OF 10000 ROWS",
        f"{_WRITES_NODE}SET w.seq = w.seq + 1, w.version = coalesce(w.version, 0) + 1, w.layout = {LAYOUT}",
    ]
