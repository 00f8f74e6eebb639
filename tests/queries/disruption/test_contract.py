"""The shared contracts this package owns: Words (message ids, values, English) and the one action table."""

from __future__ import annotations

import re

import pytest

from backend.export.package.parties import rules as routing_rules
from graph_model.errors import InvalidArgument
from graph_model.model import Model
from queries.disruption.actions import FACTS, action_table, check_table
from queries.disruption.words import CATALOGUE, Message, message_ids, say
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
