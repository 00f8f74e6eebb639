"""Who can act on a synthetic ecosystem's infrastructure and money (``crimegraph generate --routing``): the
registrar and registry of every domain, the transit upstreams of every AS, abuse contacts of providers,
registrars, registries, ASes and exchanges, and where some actors are believed to be.

Written to files of their own from a random stream of their own, so the other tables of a seed stay
byte-identical with or without routing data:

- ``registrations.csv`` (infrastructure table): registrars and registries with their abuse contacts, then each
  domain with its registrar and its TLD's registry;
- ``upstreams.csv`` (infrastructure table): a few transit carriers (provider + AS, with abuse contacts);
  every provider's abuse contact; every AS with its upstreams - a bulletproof hoster's ASes buy transit from
  ordinary providers' ASes (who can cut them off), the others from the carriers;
- ``services.csv`` (services table): each exchange with its country and compliance contact (mixers have none);
- ``locations.csv`` (actors table): the country where key brokers, escrow admins, forum admins, mules and one
  in five other handles are believed to be (``located_in``); groups get none (a group's origin is no place of
  arrest).
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph_model.words import plural
from loaders.csv_tables import BY_NAME
from loaders.synthetic import names
from loaders.synthetic.plan import Plan

FILES: dict[str, tuple[str, tuple[str, ...]]] = {
    "registrations.csv": (
        "infrastructure",
        (
            "type",
            "value",
            "registrar",
            "registry",
            "country",
            "abuse_email",
            "abuse_phone",
            "registrant_country",
        ),
    ),
    "upstreams.csv": (
        "infrastructure",
        ("type", "value", "belongs_to", "upstream", "country", "as_name", "abuse_email", "abuse_phone"),
    ),
    "services.csv": ("services", ("service", "service_type", "country", "abuse_email", "abuse_phone")),
    "locations.csv": ("actors", ("actor", "type", "located_in")),
}
TRANSIT_CARRIERS = 3
REGISTRAR_COUNTRIES = ("US", "DE", "NL", "FR", "GB", "CA", "SE", "SG")
EXCHANGE_COUNTRIES = ("EE", "LT", "MT", "SC", "US", "GB", "FR", "SG")
TRANSIT_COUNTRIES = ("US", "DE", "NL", "FR", "SE")


@dataclass(slots=True)
class Routing:
    """What was written: files, rows per file, nodes by ``Kind/type`` and edges by type that the files add."""

    files: list[Path] = field(default_factory=list)
    rows: Counter[str] = field(default_factory=Counter)
    nodes: Counter[str] = field(default_factory=Counter)
    edges: Counter[str] = field(default_factory=Counter)


def _phone(rng: random.Random) -> str:
    return f"+{rng.randint(1, 99)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"


class _Writer:
    def __init__(self, out_dir: Path, routing: Routing) -> None:
        self.dir, self.routing = out_dir, routing
        self.handles: dict[str, Any] = {}
        self.writers: dict[str, Any] = {}
        self.width: dict[str, int] = {}
        for name, (table, columns) in FILES.items():
            unknown = set(columns) - set(BY_NAME[table].columns)
            if unknown:
                raise ValueError(
                    f"{name}: {table} has no {plural(len(unknown), 'column')} {', '.join(sorted(unknown))}"
                )
            handle = (out_dir / name).open("w", encoding="utf-8", newline="")
            self.handles[name] = handle
            self.writers[name] = csv.writer(handle, lineterminator="\n")
            self.writers[name].writerow(columns)
            self.width[name] = len(columns)
            routing.files.append(out_dir / name)

    def write(self, name: str, *cells: Any) -> None:
        row = [str(c) if c is not None else "" for c in cells]
        self.writers[name].writerow(row + [""] * (self.width[name] - len(row)))
        self.routing.rows[name] += 1

    def close(self) -> None:
        for handle in self.handles.values():
            handle.close()


def write_routing(out_dir: Path, plan: Plan, seed: int) -> Routing:
    """Write the routing files for ``plan`` into ``out_dir`` (see the module docstring)."""
    rng = random.Random(f"{seed}:routing")
    routing = Routing()
    out = _Writer(out_dir, routing)
    try:
        _registrations(out, rng, plan, seed)
        _upstreams(out, rng, plan, seed)
        _services(out, rng, plan, seed)
        _locations(out, rng, plan, seed)
    finally:
        out.close()
    return routing


def _registrations(out: _Writer, rng: random.Random, plan: Plan, seed: int) -> None:
    sizes = plan.sizes
    registrars = [names.registrar(seed, r) for r in range(max(3, sizes.groups // 8))]
    for name in registrars:
        out.write("registrations.csv", "registrar", name, "", "", rng.choice(REGISTRAR_COUNTRIES),
                  names.abuse_email(name), _phone(rng))  # fmt: skip
    out.routing.nodes["Infrastructure/registrar"] += len(registrars)
    for tld in names.tlds():
        registry = f"registry of .{tld}"
        out.write("registrations.csv", "registry", registry, "", "", "", names.abuse_email(f"nic {tld}"))
    out.routing.nodes["Infrastructure/registry"] += len(names.tlds())
    # Criminals favour a few lax registrars: half of all domains go to the first two.
    for d in range(sizes.domains):
        registrar = registrars[rng.randrange(2)] if rng.random() < 0.5 else rng.choice(registrars)
        country = rng.choice(names.COUNTRIES) if rng.random() < 0.3 else ""
        out.write("registrations.csv", "domain", names.domain(seed, d), registrar,
                  f"registry of .{names.tld(seed, d)}", "", "", "", country)  # fmt: skip
    out.routing.edges["REGISTERED_WITH"] += 2 * sizes.domains


def _upstreams(out: _Writer, rng: random.Random, plan: Plan, seed: int) -> None:
    sizes = plan.sizes
    carriers = [names.transit_asn(t) for t in range(TRANSIT_CARRIERS)]
    for t, asn in enumerate(carriers):
        carrier = names.transit(seed, t)
        country = rng.choice(TRANSIT_COUNTRIES)
        out.write(
            "upstreams.csv", "provider", carrier, "", "", country, "", names.abuse_email(carrier), _phone(rng)
        )
        out.write("upstreams.csv", "asn", asn, carrier, "", country, f"{carrier.split()[0].upper()}-TRANSIT",
                  names.abuse_email(carrier), _phone(rng))  # fmt: skip
    out.routing.nodes["Infrastructure/provider"] += TRANSIT_CARRIERS
    out.routing.nodes["Infrastructure/asn"] += TRANSIT_CARRIERS
    out.routing.edges["BELONGS_TO"] += TRANSIT_CARRIERS
    providers = sizes.bulletproof + sizes.providers
    for p in range(providers):
        name = names.provider(seed, p, p < sizes.bulletproof)
        # A bulletproof hoster publishes an abuse address too; it just does not act on it.
        out.write("upstreams.csv", "provider", name, "", "", "", "", names.abuse_email(name), _phone(rng))
    ordinary = [a for a, p in enumerate(plan.asn_provider) if p >= sizes.bulletproof]
    for a, p in enumerate(plan.asn_provider):
        pool = [names.asn(o) for o in ordinary] if p < sizes.bulletproof else carriers
        upstreams = sorted(set(rng.sample(pool, min(len(pool), rng.randint(1, 2)))))
        name = names.provider(seed, p, p < sizes.bulletproof)
        out.write(
            "upstreams.csv", "asn", names.asn(a), "", ";".join(upstreams), "", "", names.abuse_email(name)
        )
        out.routing.edges["CUSTOMER_OF"] += len(upstreams)


def _services(out: _Writer, rng: random.Random, plan: Plan, seed: int) -> None:
    for e in range(len(plan.exchange_wallets)):
        service = names.service(seed, e, "exchange")
        out.write("services.csv", service, "exchange", rng.choice(EXCHANGE_COUNTRIES),
                  names.abuse_email(service).replace("abuse@", "compliance@"), _phone(rng))  # fmt: skip
    for m in range(len(plan.mixer_wallets)):
        out.write("services.csv", names.service(seed, m, "mixer"), "mixer")
    out.routing.nodes["Identity/organization"] += len(plan.exchange_wallets) + len(plan.mixer_wallets)


def _locations(out: _Writer, rng: random.Random, plan: Plan, seed: int) -> None:
    notable = set(plan.brokers) | set(plan.mules.values())
    for forum in plan.forums:
        notable |= set(forum.admins) | ({forum.escrow_admin} if forum.escrow_admin is not None else set())
    for actor in range(plan.sizes.actors):
        if actor in notable or rng.random() < 0.2:
            out.write("locations.csv", names.handle(seed, actor), "handle", rng.choice(names.COUNTRIES))
