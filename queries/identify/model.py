"""Fellegi-Sunter scoring of handle pairs with Splink on DuckDB.

Each handle becomes one record of its :class:`~queries.identify.profile.Profile` features (banded by
specificity, see :mod:`queries.identify.signals`); each signal is one Splink *comparison* whose levels are
the signal's levels. Splink then

- blocks: only pairs that share a skeleton, a wallet, a contact, a product, a server, or a closure and an
  arrival after it are compared (exploded arrays; near-linear in the number of handles);
- estimates u (how often each level happens between different people) by seeded random sampling, and m
  (how often between the same person) by expectation maximisation on blocked pairs;
- adds each level's match weight ``log2(m/u)`` (the handle skeleton's adjusted by its frequency,
  Splink's term-frequency adjustment) to a prior, and turns the sum into a match probability.

This is a deliberate exception to "queries compute with networkx": Splink runs its own SQL pipeline
(and the same model runs on Spark when a unit outgrows one machine). Same data and seed, same scores.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from graph_model.errors import CrimegraphError
from queries.identify import signals as sig
from queries.identify.profile import Profile

SIGNALS = ("wallet", "contact", "handle", "hours", "style", "product", "infrastructure", "succession")
HANDLE_LEVELS = (0.92, 0.80)
HOURS_LEVELS = (0.90, 0.75)
STYLE_LEVELS = (0.55, 0.35)


@dataclass(slots=True)
class Holders:
    """How many handles have each value (the specificity of sharing it)."""

    wallet: Counter[str] = field(default_factory=Counter)
    contact: Counter[str] = field(default_factory=Counter)
    product: Counter[str] = field(default_factory=Counter)
    infrastructure: Counter[str] = field(default_factory=Counter)
    skeleton: Counter[str] = field(default_factory=Counter)


def holders(profiles: Mapping[str, Profile]) -> Holders:
    """Count, over every visible handle, how many have each wallet, contact, product, server, skeleton."""
    found = Holders()
    for p in profiles.values():
        found.wallet.update(p.wallets.keys())
        found.contact.update(p.contacts.keys())
        found.product.update(p.products.keys())
        found.infrastructure.update(p.infrastructure.keys())
        found.skeleton[sig.handle_skeleton(p.name)] += 1
    return found


def _day(stamp: str | None) -> int | None:
    if stamp is None:
        return None
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() // 86400)


def records(profiles: Mapping[str, Profile], counts: Holders) -> list[dict[str, Any]]:
    """One Splink record per handle, in key order."""
    keys = sorted(profiles)
    grams = dict(zip(keys, sig.trigram_table([profiles[k].texts for k in keys]), strict=True))
    having = np.bincount(np.concatenate([b for b, _ in grams.values()] or [np.zeros(0, np.int64)]))
    document_frequency: Counter[int] = Counter({int(g): int(n) for g, n in enumerate(having.tolist()) if n})
    idf = np.asarray(sig.idf_weights(document_frequency, len(profiles)), dtype=np.float64)
    closures: list[tuple[int, str]] = sorted(
        {(d, p.quiet[0]) for p in profiles.values() if p.quiet and (d := _day(p.quiet[1])) is not None}
    )
    rows: list[dict[str, Any]] = []
    for key in keys:
        p = profiles[key]
        wallet_rare, wallet_any = sig.banded({w: counts.wallet[w] for w in p.wallets}, sig.RARE, sig.SHARED)
        contact_rare, contact_any = sig.banded(
            {c: counts.contact[c] for c in p.contacts}, sig.RARE, sig.SHARED
        )
        product_rare, product_any = sig.banded(
            {x: counts.product[x] for x in p.products}, sig.PRODUCT_RARE, sig.PRODUCT_SHARED
        )
        infra_rare, infra_any = sig.banded(
            {x: counts.infrastructure[x] for x in p.infrastructure}, sig.RARE, sig.SHARED
        )
        chars = sum(len(t) for t in p.texts)
        style = sig.style_of(*grams[key], idf) if chars >= sig.MIN_STYLE_CHARS else None
        first, last = _day(p.first_seen), _day(p.last_seen)
        quiet_day = _day(p.quiet[1]) if p.quiet else None
        arrival = None
        if first is not None:
            after = [name for day, name in closures if day <= first <= day + sig.SUCCESSION_DAYS]
            arrival = after[-1] if after else None
        rows.append(
            {
                "unique_id": key,
                "skeleton": sig.handle_skeleton(p.name),
                "wallet_rare": wallet_rare,
                "wallet_any": wallet_any,
                "wallet_key": wallet_rare[0] if wallet_rare else None,
                "contact_rare": contact_rare,
                "contact_any": contact_any,
                "contact_key": contact_rare[0] if contact_rare else None,
                "product_rare": product_rare,
                "product_any": product_any,
                "infra_rare": infra_rare,
                "infra_any": infra_any,
                "hours": sig.hour_of_week(p.post_times),
                "style": style,
                "first_day": first,
                "last_day": last,
                "quiet_day": quiet_day,
                "quiet_key": p.quiet[0] if p.quiet else None,
                "arrival_key": arrival,
                "succession_keys": [],
            }
        )
    _successors(rows)
    return rows


# Handles that arrived after a closure a quiet handle is compared with: the most alike in hours and style.
SUCCESSORS = 10


def _successors(rows: list[dict[str, Any]]) -> None:
    """Block succession near-linearly: each handle that went quiet with a closed forum is paired with
    the :data:`SUCCESSORS` handles most alike in posting hours and style (cosines added; ties by key)
    among those that first appeared after its last activity within the succession window - not with
    every arrival, which grows with the square of the handles (each gets a token the pair shares)."""
    arrivals: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row["arrival_key"] is not None:
            arrivals.setdefault(row["arrival_key"], []).append(row)
    for quiet in rows:
        if quiet["quiet_key"] is None or quiet["last_day"] is None or quiet["quiet_day"] is None:
            continue
        start, end = max(quiet["quiet_day"], quiet["last_day"]), quiet["quiet_day"] + sig.SUCCESSION_DAYS
        options = [
            r
            for r in arrivals.get(quiet["quiet_key"], ())
            if r is not quiet and r["first_day"] is not None and start <= r["first_day"] <= end
        ]
        if len(options) > SUCCESSORS:
            options.sort(key=lambda r: (-_alike(quiet, r), r["unique_id"]))
        for other in options[:SUCCESSORS]:
            token = f"{quiet['unique_id']}>{other['unique_id']}"
            quiet["succession_keys"].append(token)
            other["succession_keys"].append(token)


def _alike(a: dict[str, Any], b: dict[str, Any]) -> float:
    """Cosine of the posting hours plus cosine of the style (0 for what either lacks)."""
    total = 0.0
    for column in ("hours", "style"):
        x, y = a[column], b[column]
        if x is not None and y is not None:
            total += float(np.dot(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)))
    return total


def _null(column: str) -> dict[str, Any]:
    return {
        "sql_condition": f"{column}_l IS NULL OR {column}_r IS NULL",
        "label_for_charts": "not known for both",
        "is_null_level": True,
    }


def _overlap(name: str, rare: str, any_: str, rare_label: str, any_label: str) -> dict[str, Any]:
    return {
        "output_column_name": name,
        "comparison_levels": [
            _null(any_),
            {"sql_condition": f"len(list_intersect({rare}_l, {rare}_r)) > 0", "label_for_charts": rare_label},
            {"sql_condition": f"len(list_intersect({any_}_l, {any_}_r)) > 0", "label_for_charts": any_label},
            {"sql_condition": "ELSE", "label_for_charts": "nothing shared"},
        ],
    }


def _similar(name: str, column: str, levels: tuple[float, float]) -> dict[str, Any]:
    high, low = levels
    sim = f"list_cosine_similarity({column}_l, {column}_r)"
    return {
        "output_column_name": name,
        "comparison_levels": [
            _null(column),
            {"sql_condition": f"{sim} >= {high}", "label_for_charts": f"cosine >= {high}"},
            {"sql_condition": f"{sim} >= {low}", "label_for_charts": f"cosine >= {low}"},
            {"sql_condition": "ELSE", "label_for_charts": "different"},
        ],
    }


def _succession_sql(a: str, b: str) -> str:
    return (
        f"(quiet_day_{a} IS NOT NULL AND first_day_{b} IS NOT NULL AND last_day_{a} IS NOT NULL"
        f" AND first_day_{b} BETWEEN quiet_day_{a} AND quiet_day_{a} + {sig.SUCCESSION_DAYS}"
        f" AND first_day_{b} >= last_day_{a})"
    )


def settings(handles: int) -> dict[str, Any]:
    """The Splink model: one comparison per signal; the prior is one same-person pair per handle."""
    high, low = HANDLE_LEVELS
    skeletons = "jaro_winkler_similarity(skeleton_l, skeleton_r)"
    comparisons = [
        _overlap("wallet", "wallet_rare", "wallet_any", "a wallet only they own", "a wallet few own"),
        _overlap("contact", "contact_rare", "contact_any", "a contact only they give", "a contact few give"),
        {
            "output_column_name": "handle",
            "comparison_levels": [
                _null("skeleton"),
                {
                    "sql_condition": "skeleton_l = skeleton_r",
                    "label_for_charts": "same skeleton",
                    "tf_adjustment_column": "skeleton",
                    "tf_adjustment_weight": 1.0,
                },
                {"sql_condition": f"{skeletons} >= {high}", "label_for_charts": f"Jaro-Winkler >= {high}"},
                {"sql_condition": f"{skeletons} >= {low}", "label_for_charts": f"Jaro-Winkler >= {low}"},
                {"sql_condition": "ELSE", "label_for_charts": "different"},
            ],
        },
        _similar("hours", "hours", HOURS_LEVELS),
        _similar("style", "style", STYLE_LEVELS),
        _overlap("product", "product_rare", "product_any", "a product few sell", "a product some sell"),
        _overlap("infrastructure", "infra_rare", "infra_any", "a server only they run", "a server few run"),
        {
            "output_column_name": "succession",
            "comparison_levels": [
                {
                    "sql_condition": f"{_succession_sql('l', 'r')} OR {_succession_sql('r', 'l')}",
                    "label_for_charts": "appeared after the other went quiet with a closed forum",
                },
                {"sql_condition": "ELSE", "label_for_charts": "no succession"},
            ],
        },
    ]
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": min(0.5, 1.0 / max(2, handles)),
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": blocking_rules(),
        "retain_intermediate_calculation_columns": True,
        "retain_matching_columns": False,
        "additional_columns_to_retain": [],
    }


def blocking_rules() -> list[Any]:
    """Which pairs are compared at all: those sharing a skeleton, a (not too common) wallet, contact,
    product or server, or a succession (one went quiet with a closed forum, the other is among the
    handles most alike that arrived after it: :func:`_successors`)."""
    from splink import block_on

    return [
        block_on("skeleton"),
        block_on("wallet_any", arrays_to_explode=["wallet_any"]),
        block_on("contact_any", arrays_to_explode=["contact_any"]),
        block_on("infra_any", arrays_to_explode=["infra_any"]),
        block_on("product_rare", arrays_to_explode=["product_rare"]),
        block_on("succession_keys", arrays_to_explode=["succession_keys"]),
    ]


# Random pairs u is estimated on (about one in 2,500 shares a rare wallet or contact by chance at this size;
# more pairs cost time in every run without changing the demo's candidates).
U_PAIRS = 5e4

# EM learns m of every comparison but the ones a training rule blocks on, so each of these leaves
# different signals free; together they train every comparison.
TRAINING_RULES = ("l.skeleton = r.skeleton", "l.wallet_key = r.wallet_key", "l.contact_key = r.contact_key")


@dataclass(frozen=True, slots=True)
class Scored:
    """Splink's answer: every compared pair with its probability, levels and weights, and the model."""

    pairs: list[dict[str, Any]]
    compared: int
    parameters: dict[str, Any]


def score(rows: list[dict[str, Any]], *, seed: int, min_probability: float) -> Scored:
    """Train the model on ``rows`` (seeded) and score the blocked pairs; keep those at or above
    ``min_probability``."""
    if not _blocks_any(rows):
        return Scored([], 0, {})  # no pair to compare: nothing to train on either
    try:
        import duckdb
        import pyarrow  # noqa: F401 - checked here so a missing one is one clear line
        from splink import DuckDBAPI, Linker
    except ImportError as exc:
        raise CrimegraphError(
            f"identify needs Splink, DuckDB and pyarrow ({exc.name} is missing): "
            "pip install 'crimegraph[identify]'"
        ) from None
    connection = duckdb.connect()
    # One thread: sums taken in one order, so the same data gives the same parameters to the last bit.
    connection.execute("SET threads = 1")
    db = DuckDBAPI(connection)
    table = db.register(_table(rows))
    linker = Linker(table, settings(len(rows)), log_level=logging.ERROR)
    _quiet_splink()
    linker.training.estimate_u_using_random_sampling(
        max_pairs=U_PAIRS, seed=seed, min_count_per_level=None, num_chunks=1
    )
    for rule in TRAINING_RULES:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        except Exception as exc:  # noqa: BLE001 - Splink raises plain errors when a rule finds no pairs
            if "no" not in str(exc).lower() and "empty" not in str(exc).lower():
                raise
    predictions = linker.inference.predict()
    relation = predictions.as_duckdbpyrelation()
    compared = int(relation.aggregate("count(*)").fetchall()[0][0])
    kept = relation.filter(f"match_probability >= {float(min_probability)}")
    pairs = kept.to_arrow_table().to_pylist()
    parameters = linker.misc.save_model_to_json()
    connection.close()
    return Scored(pairs, compared, parameters)


def _table(rows: list[dict[str, Any]]) -> Any:
    """The records as an Arrow table; the style vectors (arrays, 1,024 floats each) joined in one numpy
    pass rather than converted float by float."""
    import pyarrow as pa

    schema = _schema()
    where = schema.get_field_index("style")
    plain = pa.Table.from_pylist(
        [{k: v for k, v in row.items() if k != "style"} for row in rows], schema=schema.remove(where)
    )
    styles = [row["style"] for row in rows]
    lengths = np.fromiter((0 if s is None else len(s) for s in styles), dtype=np.int32, count=len(styles))
    offsets = np.concatenate([np.zeros(1, dtype=np.int32), np.cumsum(lengths, dtype=np.int32)])
    present = [np.asarray(s, dtype=np.float64) for s in styles if s is not None]
    values = np.concatenate(present) if present else np.zeros(0, dtype=np.float64)
    mask = pa.array([s is None for s in styles], type=pa.bool_())
    column = pa.ListArray.from_arrays(pa.array(offsets), pa.array(values), mask=mask)
    return plain.add_column(where, schema.field(where), column)


def _blocks_any(rows: list[dict[str, Any]]) -> bool:
    """Whether :func:`blocking_rules` pair any two records (checked before starting Splink)."""
    seen: set[tuple[str, str]] = set()
    for row in rows:
        keys = [("skeleton", row["skeleton"])]
        for column in ("wallet_any", "contact_any", "infra_any", "product_rare"):
            keys += [(column, value) for value in row[column] or ()]
        if any(key in seen for key in keys):
            return True
        seen.update(keys)
    return any(row["succession_keys"] for row in rows)


def _quiet_splink() -> None:
    for name in ("splink", "splink.internals"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _schema() -> Any:
    import pyarrow as pa

    strings = pa.list_(pa.string())
    floats = pa.list_(pa.float64())
    return pa.schema(
        [
            ("unique_id", pa.string()),
            ("skeleton", pa.string()),
            ("wallet_rare", strings),
            ("wallet_any", strings),
            ("wallet_key", pa.string()),
            ("contact_rare", strings),
            ("contact_any", strings),
            ("contact_key", pa.string()),
            ("product_rare", strings),
            ("product_any", strings),
            ("infra_rare", strings),
            ("infra_any", strings),
            ("hours", floats),
            ("style", floats),
            ("first_day", pa.int64()),
            ("last_day", pa.int64()),
            ("quiet_day", pa.int64()),
            ("quiet_key", pa.string()),
            ("arrival_key", pa.string()),
            ("succession_keys", strings),
        ]
    )
