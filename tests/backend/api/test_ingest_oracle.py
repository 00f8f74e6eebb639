"""No existence oracle in ingest answers: a CLEAR caller loading an object with the key of a RED one gets
the answer it would get had the RED object never existed (both stores)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from graph_model.model import Model
from tests.backend.api.conftest import SECRET, STORES, Api, load_leak, served

INGEST = """mutation($p: String!, $t: Tlp!) { ingest(format: CSV, payload: $p, filename: "actors.csv",
    source: "oracle-test", tlp: $t) { read nodesNew edgesNew merged rejected edgesPending rejects } }"""
HEADER = "actor,type,aliases,roles,country,status,member_of,confidence\n"


@pytest.fixture(params=STORES)
def api(
    request: pytest.FixtureRequest, model: Model, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    # A fresh Neo4j plans each new query shape on first use (seconds on a busy machine): the answers,
    # not their time, are what this checks.
    with served(request, model, tmp_path_factory, load_leak, time_budget=120.0) as running:
        yield running


def _ingest(api: Api, rows: str, tlp: str = "CLEAR") -> dict[str, Any]:
    answer: dict[str, Any] = api.data(INGEST, {"p": HEADER + rows, "t": tlp}, as_="clear_loader")["ingest"]
    return answer


def test_a_clear_caller_cannot_tell_whether_a_red_object_exists(api: Api) -> None:
    hidden = _ingest(api, f"{SECRET},person,,,,,group:LeakGroup,50\n")
    absent = _ingest(api, "Never Existed Here,person,,,,,group:LeakGroup,50\n")
    assert (
        hidden
        == absent
        == {
            "read": 1,
            "nodesNew": 1,
            "edgesNew": 1,
            "merged": 1,  # the mention of group:LeakGroup, which the caller sees, merged into it
            "rejected": 0,
            "edgesPending": 0,
            "rejects": [],
        }
    )
    # What the caller could already see is merged into, as before.
    again = _ingest(api, "Never Existed Here,person,,,,,group:LeakGroup,50\n")
    assert again["nodesNew"] == 0 and again["edgesNew"] == 0 and again["merged"] == 3, again


def test_a_link_to_a_red_object_answers_as_one_to_nothing(api: Api) -> None:
    to_hidden = _ingest(api, "oracle probe one,handle,,,,,person:redacted insider,50\n")
    to_absent = _ingest(api, "oracle probe two,handle,,,,,person:nobody at all here,50\n")
    assert to_hidden == to_absent and to_hidden["rejected"] == 0, (to_hidden, to_absent)


def test_a_caller_cannot_mark_above_its_clearance(api: Api) -> None:
    errors = api.errors(INGEST, {"p": HEADER + "x,handle,,,,,,50\n", "t": "RED"}, as_="clear_loader")
    assert errors[0]["extensions"]["code"] == "BAD_ARGUMENT" and "clearance" in errors[0]["message"]
