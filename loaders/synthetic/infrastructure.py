"""The infrastructure layer: hosting providers (a few bulletproof ones serving many groups), their ASes
and IP blocks, and each group's domains, leak-site URLs and contact e-mails; plus the malware groups
use and the domains it talks to.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from loaders.synthetic import names
from loaders.synthetic.output import Output
from loaders.synthetic.plan import Plan


@dataclass(slots=True)
class Hosting:
    """What the infrastructure pass leaves for later passes and for the truth file."""

    group_domains: list[tuple[int, int]] = field(default_factory=list)  # (first domain, count) per group
    served: dict[int, set[int]] = field(default_factory=dict)  # provider -> groups with a domain on it
    malware: set[int] = field(default_factory=set)


def _provider_name(plan: Plan, seed: int, provider: int) -> str:
    return names.provider(seed, provider, provider < plan.sizes.bulletproof)


def write_hosting(out: Output, rng: random.Random, plan: Plan, seed: int) -> Hosting:
    sizes = plan.sizes
    providers = sizes.bulletproof + sizes.providers
    for p in range(providers):
        bulletproof = p < sizes.bulletproof
        country = names.country(seed, "provider", p)
        out.write(
            "infrastructure.csv",
            ("provider", _provider_name(plan, seed, p), "", "", "", bulletproof, country),
        )
    out.node("Infrastructure", "provider", providers)
    for a, p in enumerate(plan.asn_provider):
        as_name = f"{_provider_name(plan, seed, p).split()[1].upper()}-NET-{a}"
        row = ("asn", names.asn(a), "", _provider_name(plan, seed, p), "", p < sizes.bulletproof, "", as_name)
        out.write("infrastructure.csv", row)
    out.node("Infrastructure", "asn", len(plan.asn_provider))
    out.edge("BELONGS_TO", len(plan.asn_provider))
    for a, hosts in enumerate(plan.asn_hosts):
        for host in range(hosts):
            out.write("infrastructure.csv", ("ip", names.ip(a, host), "", names.asn(a)))
    out.node("Infrastructure", "ip", sum(plan.asn_hosts))
    out.edge("BELONGS_TO", sum(plan.asn_hosts))
    return _write_group_infrastructure(out, rng, plan, seed)


def _write_group_infrastructure(out: Output, rng: random.Random, plan: Plan, seed: int) -> Hosting:
    sizes = plan.sizes
    hosting = Hosting()
    asns: dict[int, list[int]] = {}
    for a, p in enumerate(plan.asn_provider):
        if plan.asn_hosts[a]:
            asns.setdefault(p, []).append(a)
    ordinary = sizes.actors - sizes.brokers
    next_domain = 0
    for g in range(sizes.groups):
        group = names.group(seed, g)
        count = max(1, round(sizes.domains * plan.group_size[g] / ordinary))
        hosting.group_domains.append((next_domain, count))
        providers = [p for p in plan.group_providers[g] if p in asns] or sorted(asns)
        bulletproof = [p for p in providers if p < sizes.bulletproof]
        for d in range(next_domain, next_domain + count):
            # Bulletproof hosters carry most of a group's domains when it has one.
            pool = bulletproof if bulletproof and rng.random() < 0.65 else providers
            provider = rng.choice(pool)
            hosting.served.setdefault(provider, set()).add(g)
            targets = set()
            for _ in range(rng.choice((1, 1, 2))):
                a = rng.choice(asns[provider])
                targets.add(names.ip(a, rng.randrange(plan.asn_hosts[a])))
            status = "active" if rng.random() < 0.8 else "suspended"
            row = ("domain", names.domain(seed, d), ";".join(sorted(targets)), "", group, "", "", "", status)
            out.write("infrastructure.csv", row)
            out.edge("RESOLVES_TO", len(targets))
        out.node("Infrastructure", "domain", count)
        out.edge("OPERATES", count)
        for k in range(rng.randint(1, 2)):
            domain = names.domain(seed, next_domain + rng.randrange(count))
            out.write("infrastructure.csv", ("url", f"http://{domain}/leaks/{g}-{k}", domain, "", group))
            out.node("Infrastructure", "url")
            out.edge("RESOLVES_TO")
            out.edge("OPERATES")
        out.write("infrastructure.csv", ("email", names.email(seed, g), "", "", group))
        out.node("Infrastructure", "email")
        out.edge("OPERATES")
        next_domain += count
    return hosting


def write_capabilities(out: Output, rng: random.Random, plan: Plan, seed: int, hosting: Hosting) -> None:
    """Groups USE malware families, which COMMUNICATE_WITH some of the group's domains (as generic edges)."""
    for g in range(plan.sizes.groups):
        group = names.group(seed, g)
        first, count = hosting.group_domains[g]
        for m in rng.sample(range(plan.sizes.malware), rng.randint(1, 2)):
            family = names.malware(seed, m)
            hosting.malware.add(m)
            out.write(
                "edges.csv",
                ("Actor", "group", group, "USES", "Malware", "malware", family, rng.randint(50, 90)),
            )
            out.edge("USES")
            for d in rng.sample(range(first, first + count), min(count, rng.randint(1, 2))):
                row = ("Malware", "malware", family, "COMMUNICATES_WITH", "Infrastructure", "domain")
                out.write("edges.csv", (*row, names.domain(seed, d), rng.randint(50, 90)))
                out.edge("COMMUNICATES_WITH")
    out.node("Malware", "malware", len(hosting.malware))
