"""The export API over real HTTP (uvicorn) on both stores: the file for the caller's key and clearance."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator

import networkx as nx
import pytest

from graph_model.model import Model
from graph_model.store import GraphStore
from tests.backend.api.conftest import KEYS, STORES, Api, served
from tests.backend.export.graphs import seed
from tests.backend.export.stix_check import stix_errors


def _seed(store: GraphStore) -> None:
    seed(store)


@pytest.fixture(params=STORES)
def api(
    request: pytest.FixtureRequest, model: Model, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    with served(request, model, tmp_path_factory, _seed) as running:
        yield running


def test_export_for_the_callers_clearance(api: Api) -> None:
    green = api.client.get("/export/stix", headers={"Authorization": f"Bearer {KEYS['analyst'][0]}"})
    assert green.status_code == 200, green.text
    assert green.headers["content-type"].startswith("application/stix+json")
    assert green.headers["x-crimegraph-clearance"] == "GREEN"
    bundle = green.json()
    assert stix_errors(bundle)[0] == []
    assert "bassterlord" not in green.text and "bc1qsecret" not in green.text
    red = api.client.get("/export/graphml", headers={"Authorization": f"Bearer {KEYS['admin'][0]}"})
    graph = nx.read_graphml(io.BytesIO(red.content), force_multigraph=True)
    assert "handle:bassterlord" in graph and graph.number_of_nodes() == 11
    lowered = api.client.get(
        "/export/gexf", params={"clearance": "CLEAR"}, headers={"Authorization": f"Bearer {KEYS['admin'][0]}"}
    )
    assert lowered.headers["x-crimegraph-clearance"] == "CLEAR" and b"LockBit 3.0" not in lowered.content
    # Asking for more than the key's clearance gives the key's clearance, not more.
    higher = api.client.get(
        "/export/csv", params={"clearance": "RED"}, headers={"Authorization": f"Bearer {KEYS['analyst'][0]}"}
    )
    assert higher.headers["x-crimegraph-clearance"] == "GREEN"
    tables = zipfile.ZipFile(io.BytesIO(higher.content))
    assert "datasets.json" in tables.namelist()
    assert b"bassterlord" not in b"".join(tables.read(n) for n in tables.namelist())
    scoped = api.client.get(
        "/export/stix",
        params={"key": "group:lockbit", "depth": 1, "kind": ["Actor", "Infrastructure"]},
        headers={"Authorization": f"Bearer {KEYS['analyst'][0]}"},
    )
    names = {o.get("name") for o in scoped.json()["objects"]}
    assert "LockBit" in names and "XSS" not in names
    # MISP's STIX dialect of the MISP export, at the key's clearance too.
    misp_made = api.client.get("/export/misp-stix", headers={"Authorization": f"Bearer {KEYS['analyst'][0]}"})
    assert misp_made.status_code == 200, misp_made.text
    assert misp_made.headers["content-type"].startswith("application/stix+json")
    assert misp_made.headers["x-crimegraph-clearance"] == "GREEN"
    assert "bassterlord" not in misp_made.text and "bc1qsecret" not in misp_made.text
    groupings = [o for o in misp_made.json()["objects"] if o["type"] == "grouping"]
    assert [g["labels"] for g in groupings] == [["Threat-Report", 'misp:tool="MISP-STIX-Converter"']]


def test_export_refusals(api: Api) -> None:
    auth = {"Authorization": f"Bearer {KEYS['analyst'][0]}"}
    assert api.client.get("/export/stix").status_code == 401
    assert api.client.get("/export/stix", headers={"Authorization": "Bearer nope"}).status_code == 401
    viewer = api.client.get("/export/stix", headers={"Authorization": f"Bearer {KEYS['viewer'][0]}"})
    assert viewer.status_code == 403
    for params, status in (
        ({}, 400),
        ({"kind": "Nope"}, 400),
        ({"depth": 9, "key": "group:lockbit"}, 400),
        ({"key": "handle:bassterlord"}, 404),  # AMBER, above the analyst's GREEN
        ({"clearance": "PURPLE"}, 400),
    ):
        path = "/export/pdf" if not params else "/export/stix"
        response = api.client.get(path, params=params, headers=auth)
        assert response.status_code == status, (params, response.text)
        assert "detail" in response.json()


def test_package_over_http(api: Api) -> None:
    plan = {
        "targets": [
            {"key": "provider:stark industries solutions", "why": "hosts it", "score": 1.0},
            {"key": "handle:bassterlord", "why": "affiliate", "score": 0.5},
        ],
        "objective": "fragmentation",
    }
    auth = {"Authorization": f"Bearer {KEYS['analyst'][0]}"}
    response = api.client.post("/export/package", json=plan, headers=auth)
    assert response.status_code == 200, response.text
    files = zipfile.ZipFile(io.BytesIO(response.content))
    index = json.loads(files.read("index.json"))
    assert [p["targets"] for p in index["parties"]] == [["provider:stark industries solutions"]]
    assert b"bassterlord" not in b"".join(files.read(n) for n in files.namelist())
    manifest = json.loads(files.read("manifest.json"))
    assert manifest["requester"].startswith(
        "k-"
    )  # the caller: a key without a NAME is named by its fingerprint
    assert {f["path"] for f in manifest["files"]} == set(files.namelist()) - {"manifest.json"}
    french = api.client.post("/export/package", params={"language": "fr"}, json=plan, headers=auth)
    report = zipfile.ZipFile(io.BytesIO(french.content)).read(f"{index['parties'][0]['folder']}/report.html")
    assert b'lang="fr"' in report
    bad = api.client.post("/export/package", json={"targets": 3}, headers=auth)
    assert bad.status_code == 400
    unknown = api.client.post("/export/package", params={"language": "xx"}, json=plan, headers=auth)
    assert unknown.status_code == 400 and "language" in unknown.text
