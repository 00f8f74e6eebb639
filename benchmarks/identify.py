"""Same-person candidates against the generator's planted truth: precision, recall and the precision-recall
curve, the pairs compared against all pairs, and how long each step takes.

A planted pair is any two handles of one synthetic person; a proposed pair is any two handles in one
same-person group (the candidates clustered at the threshold). Figures are printed, not asserted.

    python -m benchmarks.identify --actors 300 --seed 7                        # the demo
    python -m benchmarks.identify --actors 300 --seed 7 --identities shifted   # a configuration not tuned on
    python -m benchmarks.identify --actors 10000 --seed 7 --dir /tmp/m         # M (generates and loads once)
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

import networkx as nx

from graph_model.model import default_model
from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from loaders import LoadContext, ingest, reader
from loaders.generate import generate
from queries.identify import model
from queries.identify.profile import read_profiles

THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--actors", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--identities", default="standard")
    parser.add_argument("--dir", type=Path, default=None, help="where to generate and load (reused)")
    args = parser.parse_args()
    folder = args.dir or Path(f"/tmp/crimegraph-identify-{args.actors}-{args.identities}-{args.seed}")
    db = folder / "store.db"
    if not db.exists():
        started = time.perf_counter()
        report = generate(folder, args.actors, args.seed, identities=args.identities)
        store = EmbeddedStore(db, default_model())
        try:
            for table in report.tables:
                ingest(store, reader("csv")(table, LoadContext(store.model, "synthetic")))
        finally:
            store.close()
        print(f"generated and loaded in {time.perf_counter() - started:.0f} s")
    truth = json.loads((folder / "truth.json").read_text())["identities"]
    planted: set[tuple[str, str]] = set()
    for group in truth["groups"]:
        planted.update(itertools.combinations(sorted(group["members"]), 2))
    with EmbeddedStore(db, default_model()) as store:
        times = [time.perf_counter()]
        found = read_profiles(store, TLP.RED)
        times.append(time.perf_counter())
        rows = model.records(found, model.holders(found))
        times.append(time.perf_counter())
        scored = model.score(rows, seed=1, min_probability=min(THRESHOLDS))
        times.append(time.perf_counter())
    handles = len(found)
    steps = ("read the graph", "features", "Splink (train + score)")
    print(
        f"{handles:,} handles; "
        + ", ".join(f"{s} {b - a:.1f} s" for s, a, b in zip(steps, times, times[1:], strict=False))
    )
    print(f"pairs compared {scored.compared:,} of {handles * (handles - 1) // 2:,} all pairs")
    print(f"planted same-person pairs: {len(planted)} in {len(truth['groups'])} groups")
    print("threshold  proposed  precision  recall")
    for threshold in THRESHOLDS:
        links = nx.Graph()
        links.add_edges_from(
            (p["unique_id_l"], p["unique_id_r"]) for p in scored.pairs if p["match_probability"] >= threshold
        )
        proposed = {
            pair
            for part in nx.connected_components(links)
            for pair in itertools.combinations(sorted(part), 2)
        }
        hits = len(proposed & planted)
        precision = hits / len(proposed) if proposed else 1.0
        print(f"{threshold:9.2f}  {len(proposed):8d}  {precision:9.3f}  {hits / len(planted):6.3f}")


if __name__ == "__main__":
    main()
