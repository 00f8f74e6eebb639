"""Disruption benchmark: our dismantling order and takedown plans against the standard attacks, on every
network of ``../shared/data/networks/BASELINES.md``, printed beside the published figures; then the
planted truth of a generated M ecosystem (``crimegraph generate --actors 10000``).

Not a unit test (not run in CI). Usage::

    PYTHONPATH=. python benchmarks/disruption.py [--data ../shared/data] [--only NAME ...]
        [--m-store embedded:/tmp/ecoM/g.db --m-truth /tmp/ecoM/truth.json]

Conventions (BASELINES.md): undirected simple graphs, N = all nodes; R = mean LCC(Q)/N over Q = 1..N;
q10 = share of nodes removed until LCC <= 10% of N, +R with greedy reinsertion; LCC/N and F after
removing k = round(5% of N) nodes (for the baselines: the first k of their order; for us: the plan).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.networks import (  # noqa: E402
    BASELINE_LCC5,
    BASELINE_R,
    BEST_Q10_REINSERTED,
    EXACT_F,
    NETWORKS,
    load_network,
)
from queries.disruption.dismantle import ADAPTIVE_BETWEENNESS_MAX, ATTACKS, dismantle_order, q_reinserted  # noqa: E402
from queries.disruption.measures import (  # noqa: E402
    Indexed,
    component_sizes,
    fragmentation_of,
    removals_to,
    robustness,
)
from queries.disruption.plan import optimise  # noqa: E402

BASELINES = ("random", "HD", "HDA", "HB", "HBA", "CI2", "CoreHD")


def _budget_measures(ix: Indexed, removed: list[int]) -> tuple[float, float]:
    dead = bytearray(len(ix))
    for v in removed:
        dead[v] = 1
    sizes = component_sizes(ix, dead)
    return (sizes[0] if sizes else 0) / len(ix), fragmentation_of(sizes)


def run_network(root: Path, name: str) -> dict[str, Any]:
    graph = load_network(root, name)
    ix = Indexed.of(graph)
    n = len(ix)
    k = max(1, round(0.05 * n))
    row: dict[str, Any] = {"network": name, "N": n, "E": graph.number_of_edges(), "k": k, "methods": {}}
    for method in BASELINES:
        if method == "HBA" and n > ADAPTIVE_BETWEENNESS_MAX:
            continue
        start = time.perf_counter()
        order = ATTACKS[method](ix, 0)
        seconds = time.perf_counter() - start
        lcc5, f5 = _budget_measures(ix, order[:k])
        row["methods"][method] = {
            "R": robustness(ix, order),
            "q10": removals_to(ix, order, 0.1) / n,
            "q10R": q_reinserted(ix, order) / n,
            "lcc5": lcc5,
            "F5": f5,
            "seconds": seconds,
        }
        print(f"  {name}: {method} R={row['methods'][method]['R']:.3f} ({seconds:.1f}s)", file=sys.stderr)
    start = time.perf_counter()
    ours = dismantle_order(graph)
    dismantle_seconds = time.perf_counter() - start
    start = time.perf_counter()
    plan_f = optimise(graph, budget=k, objective="fragmentation")
    plan_l = optimise(graph, budget=k, objective="lcc")
    plan_seconds = time.perf_counter() - start
    row["ours"] = {
        "R": ours.r,
        "q10": ours.q10 / n,
        "q10R": ours.q10_reinserted / n,
        "method": ours.method,
        "lcc5": 1.0 - plan_l.value + 1e-6 * 0,  # lcc objective value is 1 - LCC/N (+ tiny F tie-break)
        "F5": plan_f.value,
        "dismantle_seconds": dismantle_seconds,
        "plan_seconds": plan_seconds,
    }
    lcc_nodes = _budget_measures(ix, [ix.index[v] for v in plan_l.order])[0]
    row["ours"]["lcc5"] = lcc_nodes
    print(f"  {name}: ours R={ours.r:.3f} via {ours.method} ({dismantle_seconds:.1f}s)", file=sys.stderr)
    return row


def _bold_min(values: dict[str, float], key: str, fmt: str = "{:.3f}") -> dict[str, str]:
    best = min(values.values())
    return {m: (f"**{fmt.format(v)}**" if abs(v - best) < 5e-4 else fmt.format(v)) for m, v in values.items()}


def print_tables(rows: list[dict[str, Any]]) -> None:
    cols = [*BASELINES, "ours"]
    for metric, title, lower in (
        ("R", "R (whole removal order; lower is better)", True),
        ("q10", "q10 without reinsertion", True),
        ("q10R", "q10 with reinsertion", True),
        ("lcc5", "LCC/N after k = 5% of N", True),
        ("F5", "F after k = 5% of N (higher is better)", False),
    ):
        print(f"\n### {title}\n")
        published = {
            "R": "published HBA",
            "q10": "",
            "q10R": "published best",
            "lcc5": "published best",
            "F5": "exact optimum",
        }[metric]
        header = ["network (N/E)", *cols] + ([published] if published else [])
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows:
            values = {
                m: row["methods"][m][metric] for m in BASELINES if m in row["methods"] and m != "random"
            }
            values["ours"] = row["ours"][metric]
            if not lower:
                values = {m: -v for m, v in values.items()}
            shown = _bold_min(values, metric)
            if not lower:
                shown = {m: s.replace("-", "") for m, s in shown.items()}
            cells = [f"{row['network']} ({row['N']}/{row['E']})"]
            for m in cols:
                if m == "random":
                    cells.append(f"{row['methods']['random'][metric]:.3f}")
                else:
                    cells.append(shown.get(m, "–"))
            if metric == "R":
                cells.append(str(BASELINE_R.get(row["network"], {}).get("HBA", "–")))
            elif metric == "q10R":
                cells.append(str(BEST_Q10_REINSERTED.get(row["network"], "–")))
            elif metric == "lcc5":
                cells.append(str(BASELINE_LCC5.get(row["network"], "–")))
            elif metric == "F5":
                exact = EXACT_F.get(row["network"])
                cells.append(f"{exact[1]} (k={exact[0]})" if exact else "–")
            print("| " + " | ".join(cells) + " |")
    print("\n### Runtime (seconds)\n")
    print("| network | " + " | ".join(BASELINES) + " | ours: dismantle | ours: plans F + LCC |")
    print("|" + "---|" * (len(BASELINES) + 3))
    for row in rows:
        cells = [row["network"]]
        cells += [f"{row['methods'][m]['seconds']:.2f}" if m in row["methods"] else "–" for m in BASELINES]
        cells += [f"{row['ours']['dismantle_seconds']:.2f}", f"{row['ours']['plan_seconds']:.2f}"]
        print("| " + " | ".join(cells) + " |")
    print(
        "\n(ours: dismantling method chosen per network: "
        + ", ".join(f"{r['network']}: {r['ours']['method']}" for r in rows)
        + ")"
    )


def run_ecosystem(location: str, truth_path: Path) -> None:
    from graph_model.model import default_model
    from graph_model.provenance import TLP
    from graph_model.store import open_store
    from queries.disruption.graph import disruption_graph
    from queries.disruption.plan import plan_graph
    from queries.scope import Scope

    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    brokers = {b["actor"] for b in truth["key_brokers"]}
    chains = [set(c["chain"]) for c in truth["sole_cash_out_paths"]]
    store = open_store(location, default_model())
    person_costs = {"default": 1, "types": {"group": 50, "forum": 50, "marketplace": 50, "channel": 50}}
    runs: list[tuple[str, Scope, dict[str, Any]]] = [
        ("whole graph, fragmentation", Scope(), {"objective": "fragmentation"}),
        (
            "actors+forums, fragmentation, persons only (groups/venues cost 50, max cost 10)",
            Scope(kinds=("Actor", "Forum")),
            {"objective": "fragmentation", "costs": person_costs, "max_cost": 10},
        ),
        ("whole graph, cashout", Scope(), {"objective": "cashout"}),
    ]
    print("\n### Planted truth of the generated M ecosystem\n")
    print(f"{len(brokers)} planted key brokers, {len(chains)} sole cash-out chains\n")
    print("| plan (10 targets) | nodes / edges | read graph (s) | plan (s) | brokers named | chains cut |")
    print("|---|---|---|---|---|---|")
    try:
        for label, scope, options in runs:
            start = time.perf_counter()
            graph = disruption_graph(store, TLP.RED, scope)
            read = time.perf_counter() - start
            start = time.perf_counter()
            plan = plan_graph(graph, budget=10, **options)
            seconds = time.perf_counter() - start
            keys = {t.key for t in plan.targets}
            cut = sum(1 for chain in chains if chain & keys)
            print(
                f"| {label} | {graph.number_of_nodes()} / {graph.number_of_edges()} | {read:.1f} | "
                f"{seconds:.1f} | {len(brokers & keys)}/{len(brokers)} | {cut}/{len(chains)} |",
                flush=True,
            )
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--m-store", default=None)
    parser.add_argument("--m-truth", type=Path, default=None)
    args = parser.parse_args()
    root = args.data / "networks"
    rows = [run_network(root, name) for name in (args.only or list(NETWORKS))]
    print_tables(rows)
    if args.m_store and args.m_truth:
        run_ecosystem(args.m_store, args.m_truth)


if __name__ == "__main__":
    main()
