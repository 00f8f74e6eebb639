"""What the signals read about each handle, gathered once from the caller's view of the graph.

A :class:`Profile` holds, per handle, the wallets it owns, the contact identifiers it gives (profile
properties, its description and its posts), the products it sells, the infrastructure it operates, its
post times and texts, and when it was first and last active - each shared thing with the TLP marking of
the statement it came from, so a candidate can carry the highest marking among the evidence it used.
Everything is read through ``clearance``: a GREEN caller's profiles hold nothing only an AMBER source said.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from graph_model.entities import Edge, Node
from graph_model.provenance import TLP
from graph_model.store.base import GraphStore
from queries.identify.signals import CONTACT_KINDS, QUIET_DAYS, canonical_contact, extract_contacts

HANDLE_TYPES = frozenset({"handle", "person"})
KINDS = ("Actor", "Wallet", "Forum", "Infrastructure")
EDGE_TYPES = ("OWNS", "POSTED", "ACTIVE_ON", "SELLS_ON", "ADMINISTERS", "OPERATES", "CONTROLS")


@dataclass(slots=True)
class Profile:
    """One handle as the signals see it; each ``dict`` maps a shared thing to its marking."""

    key: str
    name: str
    kind: str
    type: str
    marking: TLP
    wallets: dict[str, TLP] = field(default_factory=dict)
    contacts: dict[str, TLP] = field(default_factory=dict)
    products: dict[str, TLP] = field(default_factory=dict)
    infrastructure: dict[str, TLP] = field(default_factory=dict)
    post_times: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    posts_marking: TLP = TLP.CLEAR
    first_seen: str | None = None
    last_seen: str | None = None
    # (forum name, closed_at, marking) of the closed forum this handle went quiet on, if any
    quiet: tuple[str, str, TLP] | None = None
    # activity per forum: forum key -> (first seen, last seen)
    forums: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)


def _keep(found: dict[str, TLP], value: str, marking: TLP) -> None:
    """Remember ``value`` at the lowest marking any statement of it has (what a lower caller sees too)."""
    found[value] = min(found.get(value, marking), marking)


def _earliest(a: str | None, b: str | None) -> str | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: str | None, b: str | None) -> str | None:
    return b if a is None else a if b is None else max(a, b)


def read_profiles(store: GraphStore, clearance: TLP) -> dict[str, Profile]:
    """A :class:`Profile` of every handle the caller may see (Actor of type handle or person), read from
    the caller's view of actors, wallets, forums and posts, infrastructure and the ownership, posting,
    activity and operation edges between them - in one pass, without building a graph."""
    nodes, edges = store.scan(clearance=clearance, kinds=list(KINDS), edge_types=list(EDGE_TYPES))
    return profiles(nodes, edges)


def profiles(nodes: Iterable[Node], edges: Iterable[Edge]) -> dict[str, Profile]:
    """Profiles from the caller's views of nodes and edges (all nodes first, as :meth:`GraphStore.scan`
    gives them)."""
    found: dict[str, Profile] = {}
    posts: dict[str, tuple[str | None, str | None, TLP]] = {}  # key -> (text, posted_at, marking)
    forums: dict[str, tuple[str, str, TLP]] = {}  # closed forums: key -> (name, closed_at, marking)
    infrastructure: set[str] = set()
    for node in nodes:
        marking = node.prov.tlp
        if node.kind == "Infrastructure":
            infrastructure.add(node.key)
            continue
        if node.kind == "Forum":
            if node.props.get("text") or node.props.get("title") or node.props.get("posted_at"):
                text = node.props.get("text") or node.props.get("title")
                posts[node.key] = (None if text is None else str(text), node.props.get("posted_at"), marking)
            if node.props.get("closed_at"):
                forums[node.key] = (node.name, str(node.props["closed_at"]), marking)
            continue
        if node.kind != "Actor" or node.type not in HANDLE_TYPES:
            continue
        profile = Profile(node.key, node.name, "Actor", node.type, marking)
        for kind in CONTACT_KINDS:
            for value in node.props.get(kind) or ():
                _keep(profile.contacts, canonical_contact(kind, str(value)), marking)
        for value in extract_contacts(str(node.props.get("description") or "")):
            _keep(profile.contacts, value, marking)
        found[node.key] = profile
    for edge in edges:
        owner = found.get(edge.source)
        if owner is None:
            continue
        profile, etype, marking, target = owner, edge.type, edge.prov.tlp, edge.target
        if etype == "OWNS":
            _keep(profile.wallets, target, marking)
        elif etype in ("OPERATES", "CONTROLS"):
            if target in infrastructure:
                _keep(profile.infrastructure, target, marking)
        elif etype == "POSTED":
            text, posted_at, post_marking = posts.get(target, (None, None, marking))
            seen = max(marking, post_marking)
            if text:
                profile.texts.append(text)
                for value in extract_contacts(text):
                    _keep(profile.contacts, value, seen)
            if posted_at:
                profile.post_times.append(str(posted_at))
                profile.first_seen = _earliest(profile.first_seen, str(posted_at))
                profile.last_seen = _latest(profile.last_seen, str(posted_at))
            profile.posts_marking = max(profile.posts_marking, seen)
        elif etype in ("ACTIVE_ON", "SELLS_ON", "ADMINISTERS"):
            first, last = edge.prov.first_seen, edge.prov.last_seen
            profile.first_seen = _earliest(profile.first_seen, first)
            profile.last_seen = _latest(profile.last_seen, last)
            was = profile.forums.get(target, (None, None))
            profile.forums[target] = (_earliest(was[0], first), _latest(was[1], last))
            if etype == "SELLS_ON" and edge.props.get("product"):
                _keep(profile.products, str(edge.props["product"]).strip().lower(), marking)
    for profile in found.values():
        # In a fixed order whatever order the store gives the edges in (the same data, the same profile).
        profile.post_times.sort()
        profile.texts.sort()
        profile.quiet = _quiet(profile, forums)
    return found


def _quiet(profile: Profile, closed: dict[str, tuple[str, str, TLP]]) -> tuple[str, str, TLP] | None:
    """The closed forum this handle went quiet on: active there, and nowhere after it closed."""
    best: tuple[str, str, TLP] | None = None
    for forum, (_first, last) in profile.forums.items():
        if forum not in closed or last is None or profile.last_seen is None:
            continue
        name, shut, marking = closed[forum]
        if profile.last_seen > shut or _days(last, shut) > QUIET_DAYS:
            continue
        if best is None or shut > best[1]:
            best = (name, shut, marking)
    return best


def _days(earlier: str, later: str) -> float:
    from datetime import datetime

    a = datetime.fromisoformat(earlier.replace("Z", "+00:00"))
    b = datetime.fromisoformat(later.replace("Z", "+00:00"))
    return (b - a).total_seconds() / 86400
