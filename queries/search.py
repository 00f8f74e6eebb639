"""Finding entities: one by key or identifier, or many by the words of their names and aliases."""

from __future__ import annotations

from graph_model.entities import Node
from graph_model.errors import InvalidArgument, LimitExceeded
from graph_model.provenance import TLP
from graph_model.store.base import GraphStore
from queries.scope import check_kinds

MAX_PAGE = 500  # results per page
MAX_OFFSET = 10_000  # deeper pages: narrow the words or the kinds instead


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
    """Entities whose name, aliases or searchable properties contain every word of ``text`` as a prefix.

    Uses the store's full-text index; user text is reduced to words first, so it is never query syntax.
    Results come in the store's relevance order (ties by key); ``offset`` skips that many for paging.

    Parameters
    ----------
    text : str
        Words to find; text without any word finds nothing.
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
    allowed = check_kinds(store.model, kinds)
    if limit < 1 or offset < 0:
        raise InvalidArgument(f"limit must be positive and offset not negative (got {limit}, {offset})")
    if limit > MAX_PAGE or offset > MAX_OFFSET:
        raise LimitExceeded(f"at most {MAX_PAGE} results per page and offsets up to {MAX_OFFSET}")
    found = store.search(
        text, clearance=clearance, kinds=sorted(allowed) if allowed else None, limit=offset + limit
    )
    return found[offset : offset + limit]
