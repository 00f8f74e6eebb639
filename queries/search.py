"""Finding entities as analysts paste them: keys, STIX ids, external ids (``G0007``, ``T1059.001``,
``CVE-2021-44228``), names, aliases, domains, IPs, e-mail addresses, wallet addresses (whole, or their
first 8 characters or more), and the words of names.

Matches are ranked by how they match - an identifier exactly, then a name or alias exactly, then an
identifier's prefix, then words - and within a rank by name and key: all things the caller sees, so the
order reveals nothing above their clearance.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

from graph_model.entities import Node
from graph_model.errors import InvalidArgument, LimitExceeded, ValidationError
from graph_model.identity import canonical_name, node_key, uuid_key
from graph_model.provenance import TLP
from graph_model.store.base import GraphStore
from queries.scope import check_kinds

MAX_PAGE = 500  # results per page
MAX_OFFSET = 10_000  # deeper pages: narrow the words or the kinds instead
MAX_MATCHES = 10_000  # matches one search lists at most
MIN_PREFIX = 8  # characters of an identifier's prefix that find it
# ATT&CK ids: groups, software, campaigns, techniques (and sub-techniques), mitigations, tactics, data
# sources and components, assets (G0007, S0154, C0022, T1059.001, M1036, TA0001, DS0017, DC0001, A0001).
_ATTACK_ID = re.compile(r"^(?:TA|DS|DC|[GSCTMA])\d{4}(?:\.\d{3})?$", re.IGNORECASE)


class Match(enum.IntEnum):
    """How an entity matched, best first."""

    ID = 0  # its key, an identifier, a STIX id or an external id, exactly
    NAME = 1  # its name or an alias, exactly (case and spacing aside)
    PREFIX = 2  # its key's value (an address, a domain, an IP) starts with the text (8 characters or more)
    WORDS = 3  # every word of the text begins a word of its name, aliases or searchable properties


@dataclass(frozen=True, slots=True)
class Hit:
    node: Node
    match: Match


def identifiers(store: GraphStore, text: str) -> list[str]:
    """The identifiers ``text`` may be, in the store's forms: itself (a key or id), an ATT&CK id
    (``attack:G0007``), a STIX id or UUID (``uuid:…``), and the key of every node type whose canonical
    form accepts it (``domain:evil.com`` for ``Evil.COM``, ``ip:1.2.3.4`` for ``::ffff:1.2.3.4``,
    ``cve:cve-2021-44228``, ``btc:bc1q…``).

    Examples
    --------
    >>> from queries.sample import sample_store
    >>> found = identifiers(sample_store(), "G0007")
    >>> "attack:G0007" in found, "group:g0007" in found
    (True, True)
    """
    text = text.strip()
    if not text:
        return []
    found = [text]
    if _ATTACK_ID.match(text):
        found.append(f"attack:{text.upper()}")
    try:
        found.append(uuid_key(text))
    except ValidationError:
        pass
    model = store.model
    for kind in model.nodes.values():
        for ntype in kind.types:
            try:
                found.append(node_key(model, kind.name, ntype, text))
            except ValidationError:
                continue
    return list(dict.fromkeys(found))


def ranked(store: GraphStore, clearance: TLP, text: str, *, kinds: Sequence[str] | None = None) -> list[Hit]:
    """Every entity ``text`` finds (at most :data:`MAX_MATCHES`), best match first; ties by name, then key.

    Examples
    --------
    >>> from queries.sample import sample_store
    >>> [(h.node.name, h.match.name) for h in ranked(sample_store(), TLP.CLEAR, "lockbit")]
    [('LockBit', 'ID'), ('lockbit-leaks.example', 'WORDS')]
    """
    allowed = check_kinds(store.model, kinds)
    wanted = text.strip()
    if not wanted:
        return []
    hits: dict[str, Hit] = {}
    exact = store.get_many(identifiers(store, wanted), clearance=clearance)
    for node in exact.values():
        if allowed is None or node.kind in allowed:
            hits.setdefault(node.key, Hit(node, Match.ID))
    name = canonical_name(wanted)
    folded = wanted.casefold()
    for node in store.search(
        wanted, clearance=clearance, kinds=sorted(allowed) if allowed else None, limit=MAX_MATCHES
    ):
        if node.key not in hits:
            hits[node.key] = Hit(node, _match(node, name, folded))
    order = sorted(hits.values(), key=lambda h: (h.match, h.node.name.casefold(), h.node.key))
    return order[:MAX_MATCHES]


def _match(node: Node, name: str, folded: str) -> Match:
    names = [node.name, *(str(a) for a in node.props.get("aliases", ()))]
    if any(canonical_name(n) == name for n in names):
        return Match.NAME
    value = node.key.partition(":")[2].casefold()
    if len(folded) >= MIN_PREFIX and (value.startswith(folded) or node.name.casefold().startswith(folded)):
        return Match.PREFIX
    return Match.WORDS


def resolve(
    store: GraphStore, clearance: TLP, text: str, *, kinds: Sequence[str] | None = None
) -> list[Node]:
    """The entities a pasted reference names (``APT28``, ``G0007``, a STIX id, an address): those it
    identifies exactly, else those it names exactly (a name or an alias); none otherwise. More than
    one: the reference is ambiguous, and the caller chooses.

    Examples
    --------
    >>> from queries.sample import sample_store
    >>> [n.key for n in resolve(sample_store(), TLP.CLEAR, "LockBit")]
    ['group:lockbit']
    >>> resolve(sample_store(), TLP.CLEAR, "lock")
    []
    """
    hits = [h for h in ranked(store, clearance, text, kinds=kinds) if h.match <= Match.NAME]
    best = min((h.match for h in hits), default=None)
    return [h.node for h in hits if h.match == best]


def node(store: GraphStore, clearance: TLP, key: str) -> Node:
    """The entity with this key or any of its identifiers (e.g. ``attack:G0007``).

    Raises
    ------
    NotFound
        When nothing has that identifier, or what has it is above ``clearance`` (the two are told apart
        by nothing, so the error does not reveal that a hidden entity exists).

    Examples
    --------
    >>> from queries.sample import sample_store
    >>> node(sample_store(), TLP.CLEAR, "handle:wazawaka").name
    'wazawaka'
    """
    return store.get(key, clearance=clearance)


def search(
    store: GraphStore,
    clearance: TLP,
    text: str,
    *,
    kinds: list[str] | tuple[str, ...] | None = None,
    limit: int = 20,
    offset: int = 0,
) -> list[Node]:
    """A page of the entities :func:`ranked` finds for ``text``.

    User text is reduced to words before it reaches the store's full-text index, so it is never query
    syntax.

    Parameters
    ----------
    text : str
        An identifier, a name, or words to find; text without any word finds nothing by words.
    kinds : list of str, optional
        Node kinds to keep; an unknown kind raises InvalidArgument.
    limit, offset : int
        Page size (1-500) and start (0-10,000); LimitExceeded above, InvalidArgument below.

    Examples
    --------
    >>> from queries.sample import sample_store
    >>> [n.name for n in search(sample_store(), TLP.CLEAR, "lock", kinds=["Actor"])]
    ['LockBit']
    """
    if limit < 1 or offset < 0:
        raise InvalidArgument(f"limit must be positive and offset not negative (got {limit}, {offset})")
    if limit > MAX_PAGE or offset > MAX_OFFSET:
        raise LimitExceeded(f"at most {MAX_PAGE} results per page and offsets up to {MAX_OFFSET}")
    return [h.node for h in ranked(store, clearance, text, kinds=kinds)[offset : offset + limit]]
