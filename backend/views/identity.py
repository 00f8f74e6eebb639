"""A same-person candidate pair as a workspace view: both handles, their shared evidence highlighted.

The two handles are drawn with what links them - the wallets and servers both own or run (graph nodes),
the contact identifiers and products both give (drawn as evidence markers, since they are values, not
entities) and the forums each is active on - and every piece of shared evidence is marked (a purple
border) and explained in plain words: what is shared, how many handles have it, and the weight of its
signal. The evidence table lists every signal the model compared, with its weight in words. Everything is
read at the caller's clearance (:func:`queries.identify.pair.pair_evidence`). A served page confirms or
rejects the pair through GraphQL (``confirmIdentity`` / ``rejectIdentity``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from backend.views.build import entity
from backend.views.render import EVIDENCE, SHARES, UNCOUNTED, View
from graph_model.errors import InvalidArgument
from graph_model.provenance import TLP
from graph_model.store.base import GraphStore, to_networkx
from graph_model.words import counted, plural
from queries.identify.candidates import METHOD
from queries.identify.pair import (
    SHARED_THINGS,
    PairEvidence,
    pair_evidence,
    plain_probability,
    plain_weight,
)

# The links drawn between the handles and what they share or where they are active.
LINK_TYPES = frozenset({"OWNS", "OPERATES", "CONTROLS", "ACTIVE_ON", "SELLS_ON", "ADMINISTERS"})
NODE_SIGNALS = ("wallet", "infrastructure")  # shared things that are entities of the graph


def pair_path(a: str, b: str) -> str:
    """Where ``crimegraph serve`` shows the pair (the candidates' ``view`` field)."""
    return "/view/identity?" + urlencode({"a": a, "b": b})


def identity_view(store: GraphStore, clearance: TLP, first: str, second: str, *, seed: int = 1) -> View:
    """The pair ``first``/``second`` (any references to two handles) at ``clearance``."""
    a, b = entity(store, clearance, first, "a"), entity(store, clearance, second, "b")
    for node in (a, b):
        if node.kind != "Actor":
            raise InvalidArgument(f"{node.key} is a {node.kind}, not an actor's handle")
    found = pair_evidence(store, clearance, a.key, b.key, seed=seed)
    wanted = {found.a.key, found.b.key}
    wanted |= {s.value for s in found.shared if s.signal in NODE_SIGNALS}
    wanted |= set(found.a.forums) | set(found.b.forums)
    nodes = store.nodes(sorted(wanted), clearance=clearance)
    links = store.links(sorted(wanted & {found.a.key, found.b.key}), clearance=clearance, types=LINK_TYPES)
    inside = [link for link in links if link.source in nodes and link.target in nodes]
    graph = to_networkx(nodes.values(), store.edges(inside, clearance=clearance))
    evidence: dict[str, str] = {}
    weights = {e.signal: e.weight for e in found.candidate.evidence} if found.candidate else {}
    for item in found.shared:
        weight = weights.get(item.signal)
        said = f"; the {item.signal} signal weighs {weight:+.2f} ({plain_weight(weight)})" if weight else ""
        words = item.words() + said
        if item.signal in NODE_SIGNALS:
            if item.value in graph and item.counts:
                evidence[item.value] = words
            continue
        key = f"evidence:{item.signal}:{item.value}"
        what = SHARED_THINGS[item.signal][1]
        graph.add_node(
            key,
            kind=EVIDENCE,
            type=item.signal,
            name=f"{what}: {item.shown}",
            tlp=item.marking.label,
            handles=item.holders,
            specificity=round(item.specificity, 3),
            why=words,
        )
        # A line to a value too common to count is drawn neutral (render.vis_edge), not as evidence.
        evidence_said = "counts" if item.counts else UNCOUNTED
        for handle in (found.a.key, found.b.key):
            graph.add_edge(
                handle,
                key,
                key=f"{SHARES}:{handle}>{key}",
                type=SHARES,
                tlp=item.marking.label,
                evidence=evidence_said,
            )
        if item.counts:  # a value too many handles give is drawn, but not marked as evidence
            evidence[key] = words
    return View(
        kind="identity",
        title=f"Same person? {found.a.name} and {found.b.name}",
        graph=graph,
        focus=[found.a.key, found.b.key],
        notes=_notes(found),
        measures=_table(found),
        evidence=evidence,
        identity={
            "a": found.a.key,
            "b": found.b.key,
            "status": _status(found),
            "score": None if found.candidate is None else round(found.candidate.score, 6),
        },
    )


def _status(found: PairEvidence) -> str:
    if found.decision is not None:
        return f"{found.decision.verdict} by {found.decision.analyst} at {found.decision.at}"
    if found.candidate is None:
        return "not compared by the model"
    return "proposed" if found.candidate.score >= 0.8 else "below the default threshold (0.8)"


def _notes(found: PairEvidence) -> list[str]:
    c = found.candidate
    if c is None:
        score = (
            "The model did not compare these two handles: they share no wallet, contact, server, rare "
            "product, handle skeleton or forum succession it blocks on, so it has no score for them."
        )
    else:
        score = (
            f"Match probability {plain_probability(c.score)}: the model's probability that "
            f"{found.a.name} and {found.b.name} are one person, from the weights below added to a prior "
            f"of about one same-person pair per handle among the {found.handles:,} handles you may see "
            f"({METHOD})."
        )
    evidence = sum(1 for s in found.shared if s.counts)
    if not found.shared:
        shared = "They share no wallet, contact, server or product you may see."
    elif evidence:
        shared = (
            f"They share {counted(evidence, 'thing')} specific enough to count as evidence (purple border "
            "and purple lines: hover for the words)."
        )
    else:
        shared = "They share nothing specific enough to count as evidence."
    common = len(found.shared) - evidence
    if common:
        shared += (
            f" {counted(common, 'more thing' if evidence else 'thing')} both have "
            f"{plural(common, 'is', 'are')} too common to count: drawn without a border, with grey dashed "
            "lines."
        )
    return [
        score,
        shared,
        f"Status: {_status(found)}. Confirming records who and when and links the two as one person "
        "(ALIAS_OF); nothing is merged.",
    ]


def _table(found: PairEvidence) -> dict[str, object]:
    rows = []
    if found.candidate is not None:
        for e in found.candidate.evidence:
            said = f"{e.weight:+.2f}: {plain_weight(e.weight)}"
            rows.append([e.signal, said, e.detail, e.marking.label])
    return {
        "title": "Evidence, strongest first (weight: log2 of how much likelier one person is)",
        "columns": ["signal", "weight", "what", "TLP"],
        "nowrap": ["signal", "TLP"],  # one word each ("succession", "AMBER+STRICT"): never broken
        "rows": rows,
    }
