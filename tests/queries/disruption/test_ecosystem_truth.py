"""The planted truth of a generated ecosystem (size S) is what the natural plans name, on both stores.

Asserted against ``truth.json``, never against hard-coded keys: on the social + forum layer
(``underground`` edge set, actors and forums) the best plan of as many targets as there are planted
key brokers is exactly those brokers (together they are the only ties between communities), and the
``cashout`` plan of as many targets as there are planted sole cash-out chains cuts every chain,
each target a chain wallet.
"""

from __future__ import annotations

import json
from pathlib import Path

from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from loaders.csv_tables import read
from loaders.generate import TRUTH, generate
from loaders.ingest import ingest
from loaders.records import LoadContext
from queries.disruption.plan import takedown_plan
from queries.scope import Scope


def test_plans_name_the_planted_brokers_and_cash_out_chains(
    store: GraphStore, model: Model, tmp_path: Path
) -> None:
    report = generate(tmp_path / "eco", 1000, seed=1)
    ctx = LoadContext(model, "synthetic")
    for table in report.tables:
        ingest(store, read(table, ctx))
    truth = json.loads((report.out_dir / TRUTH).read_text(encoding="utf-8"))
    brokers = {b["actor"] for b in truth["key_brokers"]}
    chains = [set(c["chain"]) for c in truth["sole_cash_out_paths"]]
    assert brokers and chains

    layer = Scope(kinds=("Actor", "Forum"), edge_set="underground")
    plan = takedown_plan(store, TLP.RED, layer, budget=len(brokers), objective="fragmentation")
    assert {t.key for t in plan.targets} == brokers
    assert plan.before["components"] == 1 and plan.after["components"] > 1
    # the brokers only cut together: each why names the picks it acts with
    assert all(t.why_message and t.why_message["id"] == "why.joint" for t in plan.targets[:-1])
    assert all(t.gain is not None and t.gain > 0 for t in plan.targets)

    cash = takedown_plan(store, TLP.RED, Scope(), budget=len(chains), objective="cashout")
    keys = {t.key for t in cash.targets}
    assert all(chain & keys for chain in chains)
    assert keys <= set().union(*chains)
    assert all(t.why_message and t.why_message["values"]["holders"] > 0 for t in cash.targets)
    assert all("is on every remaining route to a cash-out service" in t.why for t in cash.targets)
    assert cash.after["cashout_cut"] > 0
