"""Check the recovery model against the null on the timestamped Bitcoin trust networks and record it.

    PYTHONPATH=. python benchmarks/recovery_validation.py --data ../shared/data

Writes ``queries/disruption/recovery_validation.json`` (read by :func:`queries.disruption.recovery.validated`,
quoted in docs/disruption.md) and prints a table. Deterministic (seed 0): a realdata test recomputes one row
and compares.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from queries.disruption.recovery import VALIDATION  # noqa: E402
from queries.disruption.recovery_check import NETWORKS, QUANTILES, check_network  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    args = parser.parse_args()
    result = {
        "method": "recovery as link prediction: t at the quantiles of tie times, removed = no tie after t, "
        "truth = new ties among survivors up to the next tenth of the ties; null = as many random survivor "
        "pairs; AUC against a seeded sample of survivor pairs that do not tie up",
        "quantiles": list(QUANTILES),
        "networks": {name: check_network(str(args.data / path)) for name, path in NETWORKS.items()},
    }
    VALIDATION.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(
        "| network | t (quantile) | survivors | removed | new ties | predicted "
        "| precision model / null | AUC model / null |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, runs in result["networks"].items():
        for r in runs:
            print(
                f"| {name} | {r['t_quantile']} | {r['survivors']} | {r['removed']} | {r['new_ties']} | "
                f"{r['predicted']} | {r['model']['precision']:.4f} / {r['null']['precision']:.4f} | "
                f"{r['model']['auc']:.3f} / {r['null']['auc']:.3f} |"
            )


if __name__ == "__main__":
    main()
