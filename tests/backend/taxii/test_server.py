"""The TAXII 2.1 server over real HTTP (uvicorn), read and written with the real ``taxii2-client``.

Every object of a collection, paged, equals the STIX export at the key's clearance; a CLEAR key never
sees an AMBER object; a POST round-trips through the STIX loader with a status resource.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from taxii2client.common import TokenAuth
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from backend.api.app import create_app
from backend.api.server import background
from backend.export import stix
from backend.export.graph import export_graph
from backend.export.stix_objects import TLP2
from backend.settings import ApiSettings, Settings
from backend.taxii.collections import ALL_ID
from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from graph_model.store.embedded import EmbeddedStore
from queries.scope import Scope
from tests.backend.export.graphs import seed
from tests.backend.taxii.test_client import cli

KEYS = {
    "clear": ("taxii-clear-key-0123456789", "viewer", "CLEAR"),
    "green": ("taxii-green-key-0123456789", "viewer", "GREEN"),
    "loader": ("taxii-loader-key-0123456789", "loader", "AMBER"),
    "red": ("taxii-red-key-0123456789abc", "admin", "RED"),
}
ABOVE = {TLP2[level][0] for level in (TLP.AMBER, TLP.AMBER_STRICT, TLP.RED)}
STORES = ["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)]


class Served:
    def __init__(self, url: str, store: GraphStore) -> None:
        self.url = url
        self.store = store

    def root(self, who: str) -> ApiRoot:
        server = Server(f"{self.url}/taxii2/", user="partner", password=KEYS[who][0])
        (root,) = server.api_roots
        return root

    def collection(self, who: str) -> Collection:
        (everything,) = [c for c in self.root(who).collections if c.id == ALL_ID]
        return everything


@pytest.fixture(params=STORES)
def served(
    request: pytest.FixtureRequest, model: Model, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    if request.param == "embedded":
        store: GraphStore = EmbeddedStore(tmp_path_factory.mktemp("taxii") / "graph.db", model)
    else:
        store = request.getfixturevalue("neo4j_session_store")
        store.clear()
    seed(store)
    keys = ",".join(":".join(k) for k in KEYS.values())
    app = create_app(Settings(store="embedded::memory:", api_keys=keys, api=ApiSettings()), store)
    try:
        with background(app) as url:
            yield Served(url, store)
    finally:
        if request.param == "embedded":
            store.close()
        else:
            store.clear()


def pulled(collection: Collection, per_request: int, **filters: Any) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for envelope in as_pages(collection.get_objects, per_request=per_request, **filters):
        objects.extend(envelope.get("objects", []))
    return objects


def exported(store: GraphStore, clearance: TLP) -> list[dict[str, Any]]:
    return list(stix.bundle(export_graph(store, clearance, Scope()))["objects"])


def _by_id(objects: list[dict[str, Any]]) -> dict[str, str]:
    found = {o["id"]: json.dumps(o, sort_keys=True) for o in objects}
    assert len(found) == len(objects), "an object came twice"
    return found


def test_discovery_root_and_collections(served: Served) -> None:
    server = Server(f"{served.url}/taxii2/", user="anyone", password=KEYS["green"][0])
    assert server.title == "crimegraph"
    (root,) = server.api_roots
    assert root.versions == ["application/taxii+json;version=2.1"]
    assert root.max_content_length == 20_000_000
    (everything,) = root.collections
    assert (everything.id, everything.can_read, everything.can_write) == (ALL_ID, True, False)
    assert served.collection("loader").can_write is True


@pytest.mark.parametrize("who", ["clear", "green", "red"])
def test_every_object_paged_equals_the_stix_export_at_that_clearance(served: Served, who: str) -> None:
    clearance = TLP.parse(KEYS[who][2])
    objects = pulled(served.collection(who), per_request=3)
    assert _by_id(objects) == _by_id(exported(served.store, clearance))
    if clearance < TLP.AMBER:
        text = json.dumps(objects)
        assert "bassterlord" not in text and not ABOVE & set(text.split('"'))


def test_a_clear_key_never_sees_an_amber_object(served: Served) -> None:
    amber = [o for o in exported(served.store, TLP.RED) if ABOVE & set(o.get("object_marking_refs") or ())]
    assert amber
    clear = served.collection("clear")
    for obj in amber:
        with pytest.raises(requests.HTTPError, match="404"):
            clear.get_object(obj["id"])
        with pytest.raises(requests.HTTPError, match="404"):
            clear.object_versions(obj["id"])
    manifest = clear.get_manifest()
    assert {r["id"] for r in manifest["objects"]}.isdisjoint({o["id"] for o in amber})


def test_manifest_versions_and_headers(served: Served) -> None:
    green = served.collection("green")
    manifest = green.get_manifest(limit=4)
    assert manifest["more"] is True and len(manifest["objects"]) == 4 and manifest["next"]
    first = manifest["objects"][0]
    assert first["media_type"] == "application/stix+json;version=2.1"
    versions = green.object_versions(first["id"])
    assert versions == {"more": False, "versions": [first["version"]]}
    response = httpx.get(
        f"{served.url}/taxii2/crimegraph/collections/{ALL_ID}/objects/",
        params={"limit": 2},
        headers={
            "Authorization": f"Bearer {KEYS['green'][0]}",
            "Accept": "application/taxii+json;version=2.1",
        },
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/taxii+json;version=2.1"
    body = response.json()
    dates = [r["date_added"] for r in manifest["objects"][:2]]
    assert response.headers["x-taxii-date-added-first"] == dates[0]
    assert response.headers["x-taxii-date-added-last"] == dates[1]
    assert body["more"] is True and "next" in body
    typed = green.get_objects(**{"type": "malware"})
    assert {o["type"] for o in typed["objects"]} == {"malware"}
    # The bundle's own objects are dated with the first object that needs them, crimegraph's identity
    # (which made the extension definitions) included: nothing is dated 1970.
    records = [r for page in as_pages(green.get_manifest, per_request=1000) for r in page["objects"]]
    assert records and not [r for r in records if r["date_added"].startswith("1970")]
    first_definition = min(r["date_added"] for r in records if r["id"].startswith("extension-definition--"))
    (identity,) = [r for r in records if r["id"] == stix.CREATOR]
    assert identity["date_added"] == first_definition


def test_errors_are_taxii_error_objects(served: Served) -> None:
    base = f"{served.url}/taxii2/crimegraph/collections/{ALL_ID}/objects/"
    taxii = "application/taxii+json;version=2.1"
    for headers, status in (
        ({}, 401),
        ({"Authorization": "Bearer not-a-key-at-all"}, 401),
        ({"Authorization": f"Bearer {KEYS['green'][0]}", "Accept": "application/xml"}, 406),
    ):
        response = httpx.get(base, headers=headers)
        assert response.status_code == status
        assert response.headers["content-type"] == taxii
        assert response.json()["http_status"] == str(status) and response.json()["title"]
    assert "HTTP Basic password" in httpx.get(base).json()["description"]
    # taxii2-client's own token authentication (``Authorization: Token KEY``) is accepted too.
    token = Collection(
        f"{served.url}/taxii2/crimegraph/collections/{ALL_ID}/", auth=TokenAuth(KEYS["green"][0])
    )
    assert token.can_read and token.get_objects(limit=2)["objects"]
    green = {"Authorization": f"Bearer {KEYS['green'][0]}", "Accept": taxii}
    missing = httpx.get(f"{served.url}/taxii2/crimegraph/collections/nope/objects/", headers=green)
    assert missing.status_code == 404 and missing.json()["title"] == "Collection not found"
    bad = httpx.get(base, params={"next": "garbage!"}, headers=green)
    assert bad.status_code == 400
    posted = httpx.post(base, content=b'{"objects": []}', headers={**green, "Content-Type": taxii})
    assert posted.status_code == 403  # a viewer may not add objects
    # Over max_content_length: refused before the body is read, as a TAXII error object.
    loader = {"Authorization": f"Bearer {KEYS['loader'][0]}", "Accept": taxii, "Content-Type": taxii}
    for body in (b" " * 20_000_001, iter([b" " * 10_000_000] * 3)):  # told by Content-Length, and chunked
        large = httpx.post(base, content=body, headers=loader)
        assert large.status_code == 413
        assert large.headers["content-type"] == taxii
        assert large.json()["http_status"] == "413" and large.json()["title"] == "Request Entity Too Large"


def test_post_round_trips_through_the_loader(served: Served) -> None:
    created = {"created": "2024-05-01T10:00:00.123Z", "modified": "2024-05-02T11:00:00.456Z"}
    unmarked = {
        "type": "intrusion-set",
        "spec_version": "2.1",
        "id": "intrusion-set--7a7a7a7a-0000-4000-8000-000000000001",
        **created,
        "name": "Posted Group",
    }
    green = {"type": "malware", "spec_version": "2.1", "id": "malware--7a7a7a7a-0000-4000-8000-000000000002",
             **created, "name": "Posted Loader", "is_family": True,
             "object_marking_refs": [TLP2[TLP.GREEN][0]]}  # fmt: skip
    broken = {"type": "relationship", "spec_version": "2.1",
              "id": "relationship--7a7a7a7a-0000-4000-8000-000000000003", **created,
              "relationship_type": "uses", "source_ref": unmarked["id"]}  # fmt: skip
    # A copyright statement is no TLP marking: an object with only that one gets the default beside it.
    statement = {
        "type": "marking-definition",
        "spec_version": "2.1",
        "created": "2024-05-01T10:00:00.000Z",
        "id": "marking-definition--7a7a7a7a-0000-4000-8000-000000000004",
        "definition_type": "statement",
        "definition": {"statement": "Copyright 2024, Posters."},
    }
    copyrighted = {**unmarked, "id": "intrusion-set--7a7a7a7a-0000-4000-8000-000000000005",
                   "name": "Posted Copyrighted Group", "object_marking_refs": [statement["id"]]}  # fmt: skip
    loader = served.collection("loader")
    before = loader.get_manifest()["objects"][-1]["date_added"]
    time.sleep(1.1)  # crimegraph dates additions to the second
    posting = [unmarked, green, broken, statement, copyrighted]
    status = loader.add_objects({"objects": posting}, wait_for_completion=False)
    assert status.status == "complete"
    assert (status.total_count, status.success_count, status.failure_count) == (5, 4, 1)
    assert status.failures[0]["id"] == broken["id"] and "target_ref" in status.failures[0]["message"]
    again = served.root("loader").get_status(status.id)
    assert again.success_count == 4
    with pytest.raises(requests.HTTPError, match="404"):
        served.root("red").get_status(status.id)  # another key's status
    # Posted, then served: only what was added after the last pull comes back.
    new = pulled(loader, per_request=1000, added_after=before)
    assert {unmarked["id"], green["id"]} <= {o["id"] for o in new}
    (group,) = [o for o in new if o["id"] == unmarked["id"]]
    assert group["name"] == "Posted Group"
    assert group["object_marking_refs"] == [TLP2[TLP.AMBER][0]]  # the collection's default marking
    (mine,) = [o for o in new if o["id"] == copyrighted["id"]]
    assert mine["object_marking_refs"] == [TLP2[TLP.AMBER][0], statement["id"]]
    assert [o for o in new if o["id"] == statement["id"]] == [statement]
    seen_by_green = {o["id"] for o in pulled(served.collection("green"), per_request=1000)}
    assert green["id"] in seen_by_green and unmarked["id"] not in seen_by_green
    assert copyrighted["id"] not in seen_by_green and statement["id"] not in seen_by_green
    # A later envelope's object refers to the statement posted before, without its definition: it is known
    # (kept with the collection), so the object is GREEN with its statement, not an unresolvable marking.
    again_green = {**green, "id": "malware--7a7a7a7a-0000-4000-8000-000000000006", "name": "Posted Later",
                   "object_marking_refs": [TLP2[TLP.GREEN][0], statement["id"]]}  # fmt: skip
    assert loader.add_objects({"objects": [again_green]}, wait_for_completion=False).success_count == 1
    (later,) = [
        o for o in pulled(served.collection("green"), per_request=1000) if o["id"] == again_green["id"]
    ]
    assert later["object_marking_refs"] == again_green["object_marking_refs"]


def test_saved_collections_from_the_command_line(model: Model, tmp_path: Path) -> None:
    """`crimegraph taxii collection add/list/remove` keeps collections in the store's state; the server
    offers them, each the STIX export of its scope at the caller's clearance."""
    path = tmp_path / "graph.db"
    store = EmbeddedStore(path, model)
    nodes, _ = seed(store)
    store.close()
    where = ("--store", f"embedded:{path}")
    add = ("taxii", "collection", "add")
    added = cli(*where, *add, "Money trail", "--kind", "Wallet", "--kind", "Actor", "--default-tlp", "GREEN",
                "--description", "Wallets and who holds them", "--json")  # fmt: skip
    assert added.returncode == 0, added.stderr
    made = json.loads(added.stdout)
    assert (made["alias"], made["default_tlp"], made["scope"]) == (
        "money-trail", "GREEN", {"kinds": ["Wallet", "Actor"]}
    )  # fmt: skip
    again = cli(*where, *add, "money trail")
    assert again.returncode == 1 and "exists already" in again.stderr and "Traceback" not in again.stderr
    bad = cli(*where, *add, "Nope", "--kind", "Spaceship")
    assert bad.returncode == 1 and "unknown node kind 'Spaceship'" in bad.stderr
    listed = json.loads(cli(*where, "taxii", "collection", "list", "--json").stdout)
    assert [c["alias"] for c in listed] == ["everything", "money-trail"]
    handle = cli(*where, *add, "Handle", "--key", "handle:bassterlord", "--depth", "1")  # an AMBER handle
    assert handle.returncode == 0, handle.stderr

    store = EmbeddedStore(path, model)
    keys = ",".join(":".join(k) for k in KEYS.values())
    app = create_app(Settings(store="embedded::memory:", api_keys=keys, api=ApiSettings()), store)
    try:
        with background(app) as url:
            served = Served(url, store)
            collections = {c.title: c for c in served.root("green").collections}
            trail = collections["Money trail"]
            assert (trail.id, trail.description) == (made["id"], "Wallets and who holds them")
            for who in ("clear", "green", "red"):
                clearance = TLP.parse(KEYS[who][2])
                (mine,) = [c for c in served.root(who).collections if c.id == made["id"]]
                scope = Scope(kinds=("Wallet", "Actor"))
                want = stix.bundle(export_graph(store, clearance, scope))["objects"]
                assert _by_id(pulled(mine, per_request=2)) == _by_id(want)
                kinds = {o.get("x_crimegraph_kind") for o in want} - {None}
                assert kinds <= {"Wallet", "Actor"} and "Wallet" in kinds
            # An object posted to it without a marking gets the collection's default (GREEN).
            when = "2024-05-01T10:00:00.000Z"
            posted = {"type": "malware", "spec_version": "2.1", "is_family": True, "name": "Posted",
                      "id": "malware--7a7a7a7a-0000-4000-8000-0000000000aa",
                      "created": when, "modified": when}  # fmt: skip
            (writable,) = [c for c in served.root("loader").collections if c.id == made["id"]]
            assert writable.add_objects({"objects": [posted]}).success_count == 1
            (everything,) = [c for c in served.root("green").collections if c.id == ALL_ID]
            (got,) = [o for o in pulled(everything, per_request=1000) if o["id"] == posted["id"]]
            assert got["object_marking_refs"] == [TLP2[TLP.GREEN][0]]
            # A collection around an entity the caller may not see is empty for it (200, as a collection
            # with nothing in it), not an error - and the same as one around an entity that does not exist.
            for who in ("green", "red"):
                (around,) = [c for c in served.root(who).collections if c.title == "Handle"]
                names = {o.get("name") for o in pulled(around, per_request=1000)}
                assert ("bassterlord" in names) is (who == "red")
                assert bool(names) is (who == "red") and bool(around.get_manifest().get("objects")) is (
                    who == "red"
                )
    finally:
        store.close()
    assert cli(*where, "taxii", "collection", "remove", "handle").returncode == 0
    removed = cli(*where, "taxii", "collection", "remove", "money-trail")
    assert removed.returncode == 0, removed.stderr
    assert [c["alias"] for c in json.loads(cli(*where, "taxii", "collection", "list", "--json").stdout)] == [
        "everything"
    ]
    assert len(nodes) > 5
