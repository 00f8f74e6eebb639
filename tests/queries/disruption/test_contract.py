"""The shared contracts this package owns: Words (message ids, values, English) and the one action table."""

from __future__ import annotations

import re

import pytest

from backend.export.package.parties import rules as routing_rules
from graph_model.errors import InvalidArgument
from graph_model.model import Model
from queries.disruption.actions import FACTS, action_table, check_table
from queries.disruption.words import CATALOGUE, Message, languages, message_ids, render, say
from queries.results import Plan, Target


def test_every_message_documents_its_values_and_renders() -> None:
    text = CATALOGUE.read_text(encoding="utf-8")
    for message_id in message_ids():
        # each template is introduced by a comment naming its values (or shares the one above it)
        assert re.search(rf"^{re.escape(message_id)}:", text, re.M)
    stop = say("plan.stopped_no_links", unused=1, budget=3)
    assert stop.text == (
        "Stopped after 2 of 3 picks: no link is left between the remaining entities, so 1 pick of the "
        "budget is left unused."
    )
    assert stop.as_dict() == {
        "text": stop.text,
        "id": "plan.stopped_no_links",
        "values": {"unused": 1, "budget": 3},
    }
    assert Message.from_dict(stop.as_dict()) == stop
    with pytest.raises(KeyError):
        say("no.such.message")


def test_a_verdict_includes_its_parts_by_id() -> None:
    values = {
        "count": 5,
        "largest_before": 1204,
        "largest_after": 212,
        "largest_share": 212 / 1204,
        "largest_parts": 14,
        "pairs_before": 724_000,
        "pairs_cut": 600_000,
        "pairs_cut_share": 600_000 / 724_000,
        "cashout_before": 53,
        "cashout_lost": 41,
        "total_cost": None,
        "recovery": False,
        "budget": 5,
        "unused": 0,
        "objective": "fragmentation",
        "stop": None,
        "time_limit": None,
        "pool": None,
        "candidates": 1204,
    }
    text = say("plan.verdict", **values).text
    assert text.startswith(
        "Taking down these 5 splits the largest connected part (1,204 entities) into 14 parts; the biggest "
        "part left holds 212 (18% of before). 83% of the pairs of entities that could reach each other no "
        "longer can (600,000 of 724,000). 41 of 53 money holders lose every route to a cash-out service."
    ), text


def test_the_action_table_speaks_the_schemas_words(model: Model) -> None:
    table = action_table()
    for kind, spec in table.kinds.items():
        assert kind in model.nodes, kind
        assert set(spec["types"]) <= set(model.nodes[kind].types), kind
        assert set(spec["when"]) <= set(FACTS)
    assert set(table.parties) <= set(routing_rules()["parties"])  # the packages can find every party
    assert set(table.actions) == {"preserve", "takedown", "sinkhole", "freeze", "disclose", "arrest"}


def test_the_action_table_by_kind_type_role_and_condition() -> None:
    table = action_table()
    bulletproof_ip = table.entry("Infrastructure", "ip", facts={"bulletproof"})
    hosting_company = table.entry("Infrastructure", "provider")
    assert bulletproof_ip.cost < table.entry("Infrastructure", "ip").cost < hosting_company.cost
    assert bulletproof_ip.matched == ("Infrastructure", "type:ip", "when:bulletproof")
    person = table.entry("Actor", "person")
    assert person.needs == "an arrest or search warrant"
    assert [(a.action, a.party) for a in person.actions][0] == ("arrest", "law_enforcement")
    escrow = table.entry("Actor", "handle", roles=("escrow agent", "money mule"))
    assert escrow.cost == 10 and escrow.matched[-1] == "role:escrow agent"
    assert table.entry("Wallet", "btc", facts={"custodial"}).actions[0].party == "wallet_service"
    assert table.entry("Malware", "ransomware").matched == ("other",)
    with pytest.raises(InvalidArgument, match="positive"):
        check_table(
            {"actions": {"a": "A"}, "parties": {"p": "P"}, "kinds": {"Actor": {"default": {"cost": 0}}}}
        )
    with pytest.raises(InvalidArgument, match="known action and party"):
        check_table(
            {
                "actions": {"a": "A"},
                "parties": {"p": "P"},
                "kinds": {"Actor": {"default": {"cost": 1, "actions": [{"action": "a", "party": "x"}]}}},
            }
        )


def test_plan_json_round_trips_with_verdict_gain_rank_and_messages() -> None:
    why = say("plan.stopped_no_gain", unused=1, budget=2, objective="fragmentation").as_dict()
    target = Target(
        "k",
        "n",
        "Actor",
        0.5,
        2.0,
        why["text"],
        type="person",
        rank=1,
        gain=0.5,
        why_message=why,
        actions=[{"action": "arrest", "party": "law_enforcement", "needs": None}],
    )
    plan = Plan([target], {"nodes": 3}, {"nodes": 2}, verdict=why, budget={"targets": 2, "unused": 1})
    data = plan.as_dict()
    assert list(data)[:2] == ["verdict", "targets"]
    assert list(data["targets"][0])[:6] == ["rank", "key", "name", "kind", "type", "score"]
    again = Plan.from_dict(data)
    assert again.as_dict() == data
    legacy = Plan.from_dict({"targets": [{"key": "k", "why": "old text"}]})
    assert legacy.targets[0].why == "old text" and legacy.verdict is None


REMOVAL = {
    "count": 2,
    "largest_before": 100,
    "largest_after": 60,
    "largest_share": 0.6,
    "largest_parts": 1,
    "pairs_before": 4950,
    "pairs_cut": 900,
    "pairs_cut_share": 900 / 4950,
    "cashout_before": 3,
    "cashout_lost": 1,
    "total_cost": None,
    "recovery": False,
}
RECOVERY = {
    "probability": 0.2,
    "new_edges": 4,
    "lcc_before": 100,
    "lcc_after": 60,
    "lcc_recovered": 60,
    "lcc_retained": 1.0,
    "fragmentation_after": 0.5,
    "fragmentation_recovered": 0.5,
    "fragmentation_retained": 1.0,
    "cashout_cut": 1,
    "cashout_cut_recovered": 1,
    "cashout_retained": 1.0,
    "validated": True,
}
SUBSTITUTES = {"within": 2, "like": "host", "likes": "hosts", "count": 3, "best": 1, "contacts": 4}
WHY = {"name": "x", "label": "handle", "substitutes_id": None, "layers": [], "partners": ["a"]}


@pytest.mark.parametrize(
    ("message_id", "values", "says", "never"),
    [
        # counts of 1: "the only ...", never "1 of the 1 money holder" or "the 1"
        (
            "recovery.verdict",
            {},
            "and the only money holder cut off from cash-out stays cut off (the model",
            "of the 1",
        ),
        (
            "recovery.verdict",
            {"cashout_cut": 3, "cashout_cut_recovered": 3},
            "and all 3 money holders cut off from cash-out stay cut off (the model",
            "3 of the 3",
        ),
        (
            "recovery.verdict",
            {"cashout_cut": 3, "cashout_cut_recovered": 1, "cashout_retained": 1 / 3},
            "and 1 of the 3 money holders cut off from cash-out stays cut off (33%: the model",
            "all",
        ),
        ("recovery.verdict", {"new_edges": 0}, "form, no new tie appears:", "0 new"),
        (
            "takedown.verdict",
            {"cashout_before": 1},
            "The only money holder loses every route to a cash-out service.",
            "1 of 1",
        ),
        ("takedown.verdict", {"cashout_lost": 0}, "None of the 3 money holders loses every route", "0 of 3"),
        ("takedown.verdict", {"cashout_lost": 3}, "All 3 money holders lose every route", "3 of 3"),
        (
            "takedown.verdict",
            {"pairs_cut": 0, "pairs_cut_share": 0.0},
            "All 4,950 pairs of entities that could reach each other still can.",
            "0 of 4,950",
        ),
        (
            "takedown.verdict",
            {"pairs_before": 1, "pairs_cut": 1, "pairs_cut_share": 1.0},
            "The only pair of entities that could reach each other no longer can.",
            "1 of 1",
        ),
        (
            "takedown.verdict",
            {"largest_before": 1, "largest_after": 1, "largest_share": 1.0},
            "(1 entity) untouched",
            "1 entities",
        ),
        (
            "plan.stopped_no_gain",
            {"budget": 1, "unused": 1, "objective": "lcc"},
            "Stopped before the first pick: no further",
            "0 of 1",
        ),
        (
            "plan.verdict",
            {
                "budget": 2,
                "unused": 0,
                "objective": "lcc",
                "stop": None,
                "time_limit": None,
                "pool": None,
                "candidates": 9,
                "one_swap": False,
                "swaps_checked": 1,
                "swap_moves": 6,
                "work_budget": 10,
                "one_swap_max": 1000,
            },
            "1 of the 6 swap moves of this plan was checked without",
            "were",
        ),
        (
            "why.cashout",
            {"holders": 1, "holders_before": 1, "holders_share": 1.0},
            "for 1 money holder: with it gone that holder loses all of them (the only one that could cash "
            "out before the plan).",
            "of the 1",
        ),
        (
            "why.cashout",
            {"holders": 0, "partners": ["a", "b"], "partner_ranks": [2, 3]},
            "that a and b (picks 2 and 3) cut together with it.",
            "(pick 2",
        ),
        (
            "why.reach",
            {"group": "g", "lost": 1, "reach_before": 1, "lost_share": 1.0},
            "cuts g off from the only server, domain or wallet it could reach.",
            "of the 1",
        ),
        (
            "why.shrink",
            {"component": 2, "pairs_before": 1, "pairs_cut": 1, "pairs_cut_share": 1.0, "live_contacts": 1},
            "no link (the only connected pair before the plan).",
            "of the 1",
        ),
        ("substitutes.none", {"within": 1}, "within 1 step of it.", "1 steps"),
        (
            "substitutes.few",
            {"count": 1, "best": 0, "contacts": 1},
            "Hard to replace: the only other host within 2 steps is not linked to its only contact.",
            "the 1",
        ),
        (
            "substitutes.few",
            {"count": 1},
            "the only other host within 2 steps is linked to only 1 of its 4 contacts.",
            "none of the 1",
        ),
        (
            "substitutes.many",
            {"count": 1, "best": 3},
            "Replaceable: another host within 2 steps is already linked to 3 of its 4 contacts.",
            "1 other",
        ),
        ("substitutes.many", {"best": 4}, "one is already linked to all 4 of its contacts.", "4 of its 4"),
    ],
)
def test_counts_read_well_at_zero_one_and_many(
    message_id: str, values: dict[str, object], says: str, never: str
) -> None:
    given = {**REMOVAL, **RECOVERY, **SUBSTITUTES, **WHY, "partner_ranks": [2], **values}
    text = say(message_id, **given).text
    assert says in text and never not in text, text
    for language in languages():  # every catalogue renders the same values
        assert render(message_id, given, language)
