"""A deterministic synthetic criminal ecosystem, as CSV tables plus ``truth.json``: what was planted.

``generate(out_dir, actors, seed)`` writes the tables of ``docs/csv-formats.md`` row by row (memory
holds per-group and per-forum facts, never rows or edges) from one ``random.Random(seed)``: the same
seed and size give byte-identical files. ``--actors 1000/10000/100000`` give about 10k/100k/1M nodes
and 50k/500k/5M edges (sizes S/M/L). The planted truth:

- key brokers: the only actors whose groups and forums span communities;
- sole cash-out paths: mule-wallet chains that every directed money path from a fragile group's
  wallets (and its affiliates') to an exchange runs through;
- shared infrastructure: bulletproof hosters (and their ASes) serving many groups;
- escrow admins: the one escrow admin of each escrow forum or marketplace.

With ``routing=True`` the files of :mod:`loaders.synthetic.routing` are written as well (registrars,
registries, AS upstreams, abuse contacts, exchanges' contacts, where actors are believed to be), from a random
stream of their own: every other file stays byte-identical.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graph_model.identity import node_key
from graph_model.model import Model, default_model
from loaders.synthetic import identities as identity_layer
from loaders.synthetic import infrastructure, money, names, social
from loaders.synthetic import routing as routing_files
from loaders.synthetic.output import Output
from loaders.synthetic.plan import Plan, Sizes, make_plan

SIZES = {"S": 1_000, "M": 10_000, "L": 100_000}
TRUTH = "truth.json"


@dataclass(frozen=True, slots=True)
class GenerateReport:
    """What was written: files (CSV tables in load order, then truth.json), rows per file, and the
    distinct nodes (by kind and by kind/type) and edges (by type) the tables hold."""

    out_dir: Path
    seed: int
    actors: int
    files: tuple[Path, ...]
    rows: dict[str, int]
    nodes: dict[str, int]
    node_types: dict[str, int]
    edges: dict[str, int]

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def total_nodes(self) -> int:
        return sum(self.nodes.values())

    @property
    def total_edges(self) -> int:
        return sum(self.edges.values())

    @property
    def tables(self) -> tuple[Path, ...]:
        """The CSV files only."""
        return tuple(f for f in self.files if f.suffix == ".csv")


def generate(
    out_dir: Path, actors: int, seed: int, *, routing: bool = False, identities: str | None = None
) -> GenerateReport:
    """Write a synthetic ecosystem of ``actors`` handles into ``out_dir``; ValueError below 50 actors.

    ``routing``: also write who can act on it (see the module docstring). ``identities`` (a name of
    :data:`loaders.synthetic.identities.CONFIGS`) adds the identity layer: the people behind handles,
    planted same-person groups and decoys, in files of their own and under ``identities`` in
    ``truth.json`` - the other files stay byte-identical.
    """
    config = None
    if identities is not None:
        config = identity_layer.CONFIGS.get(identities)
        if config is None:
            known = ", ".join(identity_layer.CONFIGS)
            raise ValueError(f"unknown identity configuration {identities!r}; known: {known}")
    rng = random.Random(seed)
    plan = make_plan(rng, Sizes.for_actors(actors))
    out = Output(out_dir)
    try:
        social.write_actors(out, rng, plan, seed)
        social.write_forums(out, plan, seed)
        hosting = infrastructure.write_hosting(out, rng, plan, seed)
        infrastructure.write_capabilities(out, rng, plan, seed, hosting)
        social.write_ties(out, rng, plan, seed)
        money.write_wallets(out, plan, seed)
        activity = social.ForumActivity(out, rng, plan, seed)
        activity.write()
        flows = money.MoneyFlows(out, rng, plan, seed)
        flows.write()
    finally:
        out.close()
    model = default_model()
    truth = _truth(model, plan, seed, hosting, activity.broker_forums, flows.reached)
    outputs = [out]
    if config is not None:
        people_out = Output(out_dir, identity_layer.FILES)
        try:
            layer = identity_layer.IdentityLayer(people_out, plan, seed, config)
            layer.write()
        finally:
            people_out.close()
        outputs.append(people_out)
        truth["identities"] = layer.truth(lambda h: node_key(model, "Actor", "handle", h))
    truth_path = out_dir / TRUTH
    truth_path.write_text(json.dumps(truth, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    files, rows, node_types, edges = list(out.files), out.rows.copy(), out.node_types.copy(), out.edges.copy()
    nodes = out.nodes.copy()
    if routing:
        extra = routing_files.write_routing(out_dir, plan, seed)
        files += extra.files
        rows.update(extra.rows)
        node_types.update(extra.nodes)
        for kind_type, count in extra.nodes.items():
            nodes[kind_type.partition("/")[0]] += count
        edges.update(extra.edges)
    for people in outputs[1:]:
        files += people.files
        rows.update(people.rows)
        nodes.update(people.nodes)
        node_types.update(people.node_types)
        edges.update(people.edges)
    return GenerateReport(
        out_dir=out_dir,
        seed=seed,
        actors=actors,
        files=(*files, truth_path),
        rows=dict(rows),
        nodes=dict(sorted(nodes.items())),
        node_types=dict(sorted(node_types.items())),
        edges=dict(sorted(edges.items())),
    )


def _truth(
    model: Model,
    plan: Plan,
    seed: int,
    hosting: infrastructure.Hosting,
    broker_forums: dict[int, list[int]],
    reached: dict[int, set[int]],
) -> dict[str, Any]:
    """The planted structures, every entity named by the key the loaders give it."""

    def key(kind: str, type_: str, value: str) -> str:
        return node_key(model, kind, type_, value)

    def group(g: int) -> str:
        return key("Actor", "group", names.group(seed, g))

    def handle(a: int) -> str:
        return key("Actor", "handle", names.handle(seed, a))

    def forum(f: int) -> str:
        return key("Forum", plan.forums[f].type, names.forum(seed, f))

    def wallet(w: int) -> str:
        return key("Wallet", "btc", names.btc_address(seed, w))

    sizes = plan.sizes
    return {
        "seed": seed,
        "actors": sizes.actors,
        "definitions": {
            "communities": "groups and forums by community; ordinary actors act only inside their own",
            "key_brokers": "removing them leaves no social or forum edge path between communities",
            "sole_cash_out_paths": "every directed TRANSFERRED path from the group's wallets or its members'"
            " wallets to an exchange wallet passes through each wallet of the chain",
            "shared_infrastructure": "hosting providers and their ASes, with the groups whose domains resolve"
            " into them; the bulletproof ones serve more groups than any other",
            "escrow_admins": "the only ADMINISTERS edge with role 'escrow' into each escrow venue",
        },
        "communities": [
            {
                "community": c,
                "groups": [group(g) for g in range(c, sizes.groups, sizes.communities)],
                "forums": [forum(f.index) for f in plan.community_forums(c)],
            }
            for c in range(sizes.communities)
        ],
        "key_brokers": [
            {
                "actor": handle(a),
                "groups": [group(g) for g in groups],
                "forums": [forum(f) for f in broker_forums.get(a, [])],
            }
            for a, groups in sorted(plan.brokers.items())
        ],
        "sole_cash_out_paths": [
            {
                "group": group(g),
                "members": [
                    handle(a) for a in range(plan.group_start[g], plan.group_start[g] + plan.group_size[g])
                ],
                "mule": handle(plan.mules[g]),
                "chain": [wallet(w) for w in chain],
                "exchanges": sorted(names.service(seed, e, "exchange") for e in reached[g]),
            }
            for g, chain in sorted(plan.fragile.items())
        ],
        "exchange_wallets": [
            wallet(w) for first, count in plan.exchange_wallets for w in range(first, first + count)
        ],
        "shared_infrastructure": [
            {
                "provider": key("Infrastructure", "provider", names.provider(seed, p, p < sizes.bulletproof)),
                "bulletproof": p < sizes.bulletproof,
                "asns": [
                    key("Infrastructure", "asn", names.asn(a))
                    for a, q in enumerate(plan.asn_provider)
                    if q == p
                ],
                "groups": sorted(group(g) for g in hosting.served.get(p, ())),
            }
            for p in range(sizes.bulletproof)
        ],
        "escrow_admins": [
            {"forum": forum(f.index), "admin": handle(f.escrow_admin)}
            for f in plan.forums
            if f.escrow_admin is not None
        ],
    }
