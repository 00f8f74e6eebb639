"""The views served by the API under /view/...: keys, roles and clearance as GraphQL, a CSP header, and each
view kind loaded from a real uvicorn in headless Chromium."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser

from backend.api.app import create_app
from backend.api.server import background
from backend.settings import Settings
from graph_model.model import Model
from graph_model.store.embedded import EmbeddedStore
from tests.backend.views.browser import open_view
from tests.backend.views.seed import Keys, plan_json, seed

ANALYST = "analyst-key-0123456789"
VIEWER = "viewer-key-0123456789"
GREEN = "green-analyst-key-0123456789"


@pytest.fixture(scope="module")
def served(model: Model, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Keys]]:
    store = EmbeddedStore(tmp_path_factory.mktemp("served") / "graph.db", model)
    keys = seed(store)
    settings = Settings(api_keys=f"{ANALYST}:analyst:RED,{VIEWER}:viewer:RED,{GREEN}:analyst:GREEN")
    with background(create_app(settings, store=store)) as base:
        yield base, keys
    store.close()


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _url(base: str, path: str) -> str:
    return f"{base}/view/{path}"


def test_keys_roles_and_errors(served: tuple[str, Keys]) -> None:
    base, keys = served
    url = _url(base, f"neighbourhood/{quote(keys.boss, safe='')}")
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers=_auth("not-a-key-0123456789")).status_code == 401
    ok = httpx.get(url, headers=_auth(VIEWER))
    assert ok.status_code == 200 and ok.headers["content-type"].startswith("text/html")
    policy = ok.headers["content-security-policy"]
    assert (
        "default-src 'none'" in policy
        and "script-src 'sha256-" in policy
        and "frame-ancestors 'none'" in policy
    )
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    # vis-network comes from the server, by its hash: the integrity the tag asks for is the policy's and
    # the file's own; the open library needs no key and may be cached.
    tag = re.search(r'<script src="(/view/assets/[^"]+)" integrity="(sha256-[^"]+)"></script>', ok.text)
    assert tag and f"'{tag.group(2)}'" in policy.split("script-src")[1].split(";")[0]
    library = httpx.get(base + tag.group(1))
    assert library.status_code == 200 and library.headers["content-type"].startswith("text/javascript")
    digest = base64.b64encode(hashlib.sha256(library.content).digest()).decode()
    assert tag.group(2) == f"sha256-{digest}" and "immutable" in library.headers["cache-control"]
    paths = _url(base, f"paths?source={quote(keys.evil)}&target={quote(keys.w_cash)}")
    assert httpx.get(paths, headers=_auth(VIEWER)).status_code == 403
    assert httpx.get(paths, headers=_auth(ANALYST)).status_code == 200
    # A RED entity does not exist for a GREEN caller: the same 404 as an unknown key.
    hidden = httpx.get(_url(base, f"neighbourhood/{quote(keys.informant, safe='')}"), headers=_auth(GREEN))
    missing = httpx.get(_url(base, "neighbourhood/handle:nobody"), headers=_auth(GREEN))
    assert hidden.status_code == missing.status_code == 404
    assert "Traceback" not in hidden.text
    too_deep = httpx.get(url + "?depth=9", headers=_auth(ANALYST))
    assert too_deep.status_code == 400 and "depth" in too_deep.json()["detail"]
    bad_plan = httpx.post(_url(base, "plan"), content=b"{not json", headers=_auth(ANALYST))
    assert bad_plan.status_code == 400


def test_unknown_or_out_of_range_parameters_are_named(served: tuple[str, Keys]) -> None:
    base, keys = served
    money = _url(base, f"money/{quote(keys.w_evil, safe='')}")
    # maxHops is not max_hops: refused by name, never silently ignored.
    for query, named in [
        ("?maxHops=2", "maxHops"),
        ("?max_hops=99", "max_hops"),
        ("?max_hops=two", "max_hops"),
        ("?direction=sideways", "direction"),
        ("?limit=999999", "limit"),
        ("?node_cap=5", "node_cap"),
    ]:
        answer = httpx.get(money + query, headers=_auth(ANALYST))
        assert answer.status_code == 400, (query, answer.text)
        detail = answer.json()["detail"]
        assert isinstance(detail, str) and "\n" not in detail and named in detail, detail
    assert httpx.get(money + "?max_hops=2", headers=_auth(ANALYST)).status_code == 200


def test_the_banner_names_the_clearance_and_the_highest_marking(served: tuple[str, Keys]) -> None:
    base, keys = served
    url = _url(base, f"neighbourhood/{quote(keys.boss, safe='')}?depth=1")
    red = httpx.get(url, headers=_auth(ANALYST)).text
    green = httpx.get(url, headers=_auth(GREEN)).text
    # The RED informant is drawn for the RED analyst, not for the GREEN one.
    assert 'id="cg-banner" data-tlp="RED"' in red and "drawn at clearance" in red
    assert 'id="cg-banner" data-tlp="CLEAR"' in green and "TLP:GREEN</span>" in green


@pytest.mark.parametrize(
    ("name", "path", "key", "expected"),
    [
        ("neighbourhood", "neighbourhood/{boss}?depth=1", ANALYST, (5, 4)),
        ("neighbourhood-green", "neighbourhood/{boss}?depth=1", GREEN, (4, 3)),
        ("paths", "paths?source={evil}&target={w_cash}&k=3", ANALYST, (6, 6)),
        ("community", "community/1", ANALYST, (10, 10)),
        ("money", "money/{w_evil}", ANALYST, (4, 3)),
        ("plan", "plan", ANALYST, (9, 11)),
    ],
)
def test_each_view_kind_loads_from_the_server(
    browser: Browser,
    served: tuple[str, Keys],
    name: str,
    path: str,
    key: str,
    expected: tuple[int, int],
    tmp_path: Path,
) -> None:
    base, keys = served
    url = _url(base, path.format(**{k: quote(v, safe="") for k, v in vars(keys).items()}))
    body = json.dumps(plan_json(keys)) if name == "plan" else None
    loaded = open_view(browser, url, allowed=base, headers=_auth(key), post_json=body)
    counts = loaded.counts()
    assert (counts["nodes"], counts["edges"]) == expected
    loaded.clean()
    loaded.screenshot(f"served-{name}")
