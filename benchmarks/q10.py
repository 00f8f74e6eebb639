"""q10 in nodes against the best published columns of BASELINES.md (with and without reinsertion).

    PYTHONPATH=. python benchmarks/q10.py [--data ../shared/data] [NETWORK ...]

Prints docs/disruption.md's "Matching the best published orders" table: for every network where
BASELINES.md lists q10, what ``dismantle_order`` removes, what the published fraction allows
(``published_nodes``), the order kept and whether it is within both. The counts do not depend on the
machine's load; the Bitcoin networks take a few minutes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.networks import (  # noqa: E402
    BEST_Q10,
    BEST_Q10_REINSERTED,
    NETWORKS,
    load_network,
    published_nodes,
)
from queries.disruption.dismantle import dismantle_order  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("networks", nargs="*", default=[name for name in NETWORKS if name in BEST_Q10])
    args = parser.parse_args()
    print(
        "| network | N | ours q10 (no reinsertion) | best published -> nodes allowed | ours q10 with "
        "reinsertion | best published -> nodes allowed | order kept | within |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name in args.networks:
        graph = load_network(args.data / "networks", name)
        n = graph.number_of_nodes()
        found = dismantle_order(graph)
        plain, reinserted = BEST_Q10[name], BEST_Q10_REINSERTED[name]
        allowed, allowed_r = published_nodes(plain, n), published_nodes(reinserted, n)
        within = "yes" if found.q10 <= allowed and found.q10_reinserted <= allowed_r else "NO"
        print(
            f"| {name} | {n} | {found.q10} ({found.q10 / n:.3f}) | {plain} -> {allowed} | "
            f"{found.q10_reinserted} ({found.q10_reinserted / n:.3f}) | {reinserted} -> {allowed_r} | "
            f"{found.method} | {within} |",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
