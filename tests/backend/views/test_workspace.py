"""The investigator workspace in headless Chromium against a real ``crimegraph serve --workers 2`` on ATT&CK
(plus marked data): sign in through the form, open a neighbourhood by name, expand, find, filter, save and
reopen, sign out; a GREEN session never receives what is above it; hostile labels stay inert; the pages
make no request outside the server."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from backend.api.server import free_port
from graph_model.entities import Edge, make_node
from graph_model.model import Model
from graph_model.provenance import TLP, Provenance
from graph_model.store.embedded import EmbeddedStore
from loaders import LoadContext, ingest, reader
from loaders.generate import generate
from tests.backend.api.test_serve import crimegraph, read_until, wait_ready
from tests.backend.views.browser import Loaded, shots_dir
from tests.backend.views.seed import INJECTION

pytestmark = pytest.mark.realdata

RED = "red-analyst-key-0123456789"
AMBER = "amber-analyst-key-0123456789"
GREEN = "green-analyst-key-0123456789"
APT28 = "uuid:bef4c620-0787-42a8-a96d-b7eb6e85917c"
MIMIKATZ = "uuid:afc079f3-c0ea-4096-b75d-3f05338b7f60"
# What an AMBER report adds to the CLEAR wallet B: its name for it and two properties (#22: a property an
# AMBER source adds to a CLEAR node never reaches a CLEAR or GREEN workspace).
AMBER_STATEMENTS = ("AmberMixerName", "AmberMixerLabel", "amber-cluster-9")
SECRET_NAMES = ("amber-informant", "red-source", "AmberWalletOwner", *AMBER_STATEMENTS)


@dataclass(frozen=True)
class Served:
    base: str
    keys: dict[str, str]


def _prov(record: str, tlp: str = "CLEAR", when: str = "2024-02-01") -> Provenance:
    return Provenance.of("workspace-test", record, first_seen=when, last_seen=when, confidence=60, tlp=tlp)


def _marked(store: EmbeddedStore) -> dict[str, str]:
    """AMBER and RED entities and links around APT28 and Mimikatz, a hostile handle reached only by
    expanding Mimikatz, and a money trail with parallel transfers (one of them AMBER)."""
    m: Model = store.model
    amber = make_node(m, "Actor", "handle", "amber-informant", prov=_prov("amber", "AMBER"))
    red = make_node(m, "Actor", "handle", "red-source", prov=_prov("red", "RED"))
    hostile = make_node(m, "Actor", "handle", INJECTION, prov=_prov("hostile"))
    wallets = {
        name: make_node(m, "Wallet", "btc", address, prov=_prov(address))
        for name, address in [
            ("a", "1AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            ("b", "1BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"),
            ("c", "1CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"),
        ]
    }
    hidden_wallet = make_node(
        m,
        "Wallet",
        "btc",
        "1DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD",
        prov=_prov("d", "AMBER"),
        props={"service": "AmberWalletOwner"},
    )
    edges = [
        Edge("MEMBER_OF", amber.key, APT28, _prov("amber-link", "AMBER")),
        Edge("ASSOCIATES_WITH", red.key, APT28, _prov("red-link", "RED")),
        Edge("USES", hostile.key, MIMIKATZ, _prov("hostile-link")),
        Edge("OWNS", hostile.key, wallets["a"].key, _prov("owns")),
    ]
    for i in range(30):
        day = f"2024-03-{i % 28 + 1:02d}T10:00:00Z"
        edges.append(
            Edge(
                "TRANSFERRED",
                wallets["a"].key,
                wallets["b"].key,
                _prov(f"t{i}"),
                props={
                    "amount": 0.1,
                    "asset": "BTC",
                    "amount_usd": 4000.0,
                    "time": day,
                    "tx_id": f"tx{i:03d}",
                },
                discriminator=f"tx{i:03d}",
            )
        )
    for i in range(5):
        edges.append(
            Edge(
                "TRANSFERRED",
                wallets["a"].key,
                wallets["c"].key,
                _prov(f"u{i}"),
                props={
                    "amount": 1.0,
                    "asset": "BTC",
                    "time": f"2024-04-0{i + 1}T10:00:00Z",
                    "tx_id": f"ux{i}",
                },
                discriminator=f"ux{i}",
            )
        )
    edges.append(
        Edge(
            "TRANSFERRED",
            wallets["a"].key,
            wallets["b"].key,
            _prov("amber-tx", "AMBER"),
            props={"amount": 7.77, "asset": "BTC", "time": "2024-05-01T10:00:00Z", "tx_id": "txAMBER"},
        )
    )
    edges.append(
        Edge(
            "TRANSFERRED",
            wallets["c"].key,
            hidden_wallet.key,
            _prov("to-d", "AMBER"),
            props={"amount": 2.0, "asset": "BTC", "time": "2024-06-01T10:00:00Z", "tx_id": "txD"},
        )
    )
    store.upsert([amber, red, hostile, hidden_wallet, *wallets.values()], edges)
    said = make_node(
        m,
        "Wallet",
        "btc",
        "1BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
        prov=_prov("amber-report", "AMBER"),
        name="AmberMixerName",
        props={"service": "AmberMixerLabel", "cluster": "amber-cluster-9"},
    )
    store.upsert([said])
    return {
        "amber": amber.key,
        "red": red.key,
        "hostile": hostile.key,
        "wallet": wallets["a"].key,
        "b": wallets["b"].key,
    }


@pytest.fixture(scope="module")
def served(model: Model, shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    db = tmp_path_factory.mktemp("workspace") / "graph.db"
    store = EmbeddedStore(db, model)
    bundle = shared_data / "attack-enterprise-groups.stix.json"
    ingest(store, reader("stix")(bundle, LoadContext(store.model, "attack")))
    keys = _marked(store)
    # The demo ecosystem (`crimegraph demo`: 300 actors, seed 7) beside ATT&CK, for its money views.
    report = generate(tmp_path_factory.mktemp("demo"), 300, 7)
    for table in report.tables:
        ingest(store, reader("csv")(table, LoadContext(store.model, "demo")))
    transfers = store.subgraph(clearance=TLP.RED, edge_types=["TRANSFERRED"])
    sent = Counter(source for source, _ in transfers.edges())
    keys["busiest"] = sent.most_common(1)[0][0]
    keys["busiest_sent"] = str(sent[keys["busiest"]])
    keys["busiest_pairs"] = str(len({pair for pair in transfers.edges() if pair[0] == keys["busiest"]}))
    store.close()
    port = free_port()
    env = {
        "CRIMEGRAPH_API_KEYS": ",".join(
            [f"{RED}:analyst:RED:red", f"{AMBER}:analyst:AMBER:amber", f"{GREEN}:analyst:GREEN:green"]
        ),
        "CRIMEGRAPH_SESSION_SECRET": "workspace-test-secret-0123456789",
    }
    args = ("--store", f"embedded:{db}", "serve", "--port", str(port), "--workers", "2")
    with crimegraph(*args, env=env) as process:
        read_until(process, r"crimegraph API on .*2 workers\)")
        base = f"http://127.0.0.1:{port}"
        wait_ready(base)
        yield Served(base, keys)


class Session:
    """A browser context that may reach the server and nothing else; what went wrong in it."""

    def __init__(self, browser: Browser, base: str) -> None:
        self.base = base
        self.context: BrowserContext = browser.new_context(
            viewport={"width": 1400, "height": 900}, accept_downloads=True
        )
        self.page: Page = self.context.new_page()
        self.loaded = Loaded(self.page)
        self.page.on(
            "console",
            lambda msg: (
                self.loaded.errors.append(f"{msg.type}: {msg.text}")
                if msg.type in ("error", "warning")
                else None
            ),
        )
        self.page.on("pageerror", lambda exc: self.loaded.errors.append(f"pageerror: {exc}"))
        self.page.on("dialog", lambda dialog: (self.loaded.dialogs.append(dialog.message), dialog.dismiss()))

        def route(route: Any, request: Any) -> None:
            if (
                request.url.startswith(base)
                or request.url.startswith("blob:")
                or request.url.startswith("data:")
            ):
                route.continue_()
            else:
                self.loaded.blocked.append(request.url)
                route.abort()

        self.page.route("**/*", route)

    def sign_in(self, key: str, path: str) -> None:
        """Open ``path``: the server sends the browser to the sign-in form, which brings it back."""
        self.page.goto(self.base + path)
        assert "/login?next=" in self.page.url, self.page.url
        self.page.fill("input[name=key]", key)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(lambda url: "/login" not in url)
        self.wait_ready()

    def wait_ready(self) -> None:
        self.page.wait_for_function("() => window.crimegraph && window.crimegraph.ready", timeout=30_000)

    def count(self) -> int:
        result: int = self.page.evaluate("() => crimegraph.nodes.length")
        return result

    def keys(self) -> set[str]:
        return set(self.page.evaluate("() => crimegraph.nodes.getIds()"))

    def idle(self) -> None:
        self.page.wait_for_function("() => crimegraph.busy === 0", timeout=30_000)

    def double_click(self, node: str) -> None:
        """Double-click a node where it is drawn."""
        page = self.page
        page.evaluate("(id) => crimegraph.network.focus(id, {scale: 1.2, animation: false})", node)
        box = page.locator("#cg-network").bounding_box()
        assert box is not None
        at = page.evaluate("(id) => crimegraph.network.canvasToDOM(crimegraph.network.getPosition(id))", node)
        page.mouse.dblclick(box["x"] + at["x"], box["y"] + at["y"])

    def right_click(self, node: str) -> list[str]:
        """Right-click a node; the menu's items (disabled ones in brackets)."""
        page = self.page
        box = page.locator("#cg-network").bounding_box()
        assert box is not None
        at = page.evaluate("(id) => crimegraph.network.canvasToDOM(crimegraph.network.getPosition(id))", node)
        page.mouse.click(box["x"] + at["x"], box["y"] + at["y"], button="right")
        page.wait_for_selector("#cg-menu:not([hidden])")
        items: list[str] = page.evaluate(
            "() => [...document.querySelectorAll('#cg-menu button')].map((b) =>"
            " b.disabled ? '[' + b.textContent + ']' : b.textContent)"
        )
        return items

    def shot(self, name: str) -> Path:
        path = shots_dir() / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def everything(self) -> str:
        """All the page holds: its HTML, its DataSets, tooltips and what its script keeps."""
        state: str = self.page.evaluate(
            "() => JSON.stringify([crimegraph.nodes.get(), crimegraph.edges.get(), crimegraph.data])"
        )
        return self.page.content() + state

    def close(self) -> None:
        self.context.close()


def test_sign_in_open_by_name_expand_find_filter_save_reopen_sign_out(
    browser: Browser, served: Served, tmp_path: Path
) -> None:
    s = Session(browser, served.base)
    s.sign_in(RED, "/view/neighbourhood/APT28?depth=1")
    page = s.page
    assert APT28 in s.keys() and "APT28" in page.locator("#cg-title").inner_text()
    # The RED analyst sees the RED source: the banner says so.
    assert page.get_attribute("#cg-banner", "data-tlp") == "RED"
    s.shot("workspace-apt28")

    before = s.count()
    assert MIMIKATZ in s.keys()
    sizes = (
        "() => Object.fromEntries(crimegraph.nodes.getIds().map((id) =>"
        " [id, crimegraph.network.body.nodes[id].options.size]))"
    )
    drawn = page.evaluate(sizes)
    s.double_click(MIMIKATZ)
    page.wait_for_function("(n) => crimegraph.nodes.length > n", arg=before, timeout=30_000)
    s.idle()
    grown = s.count()
    assert grown > before + 20 and served.keys["hostile"] in s.keys()
    # What was drawn keeps its size: the new nodes are scaled to the view's range, nothing is rescaled.
    after = page.evaluate(sizes)
    assert {k: after[k] for k in drawn if k in after} == {k: v for k, v in drawn.items() if k in after}
    # New nodes are placed around Mimikatz, not at the origin.
    near = page.evaluate(
        """([a, b]) => { const p = crimegraph.network.getPositions([a, b]);
        return Math.hypot(p[a].x - p[b].x, p[a].y - p[b].y); }""",
        [MIMIKATZ, served.keys["hostile"]],
    )
    assert near < 900
    page.mouse.move(5, 300)
    page.evaluate("() => crimegraph.network.fit({animation: false})")
    s.shot("workspace-expanded")

    page.fill("#cg-search", "Sofacy")
    page.press("#cg-search", "Enter")
    page.wait_for_function("(k) => crimegraph.network.getSelectedNodes()[0] === k", arg=APT28, timeout=10_000)

    malware = page.evaluate("() => crimegraph.nodes.get({filter: (n) => n.cgKind === 'Malware'}).length")
    assert malware > 20
    page.uncheck("input[data-kind=Malware]")
    hidden = page.evaluate(
        "() => crimegraph.nodes.get({filter: (n) => n.cgKind === 'Malware'}).every((n) => n.hidden)"
    )
    assert hidden and page.evaluate("() => crimegraph.visible().nodes") == grown - malware
    s.shot("workspace-filtered")
    page.check("input[data-kind=Malware]")

    with page.expect_download() as download:
        page.click("#cg-save")
    saved_path = tmp_path / "investigation.json"
    download.value.save_as(saved_path)
    saved = json.loads(saved_path.read_text(encoding="utf-8"))
    assert saved["format"] == "crimegraph-investigation" and saved["clearance"] == "RED"
    assert saved["tlp"] == "RED" and len(saved["nodes"]) == grown
    assert isinstance(saved["dataVersion"], int) and saved["dataVersion"] > 0
    assert {n["key"] for n in saved["nodes"]} >= {APT28, MIMIKATZ, served.keys["red"]}
    mimikatz_at = next(n for n in saved["nodes"] if n["key"] == MIMIKATZ)

    page.evaluate("() => crimegraph.hide([crimegraph.nodes.getIds()[0]])")
    page.set_input_files("#cg-open", str(saved_path))
    page.wait_for_function("() => /Reopened/.test(document.getElementById('cg-status').textContent)")
    assert s.count() == grown
    restored = page.evaluate("(k) => crimegraph.network.getPosition(k)", MIMIKATZ)
    assert abs(restored["x"] - mimikatz_at["x"]) < 2 and abs(restored["y"] - mimikatz_at["y"]) < 2
    s.shot("workspace-reopened")

    s.loaded.clean()
    # GraphQL with the session cookie but without the page's CSRF header: refused, same origin or not.
    status = page.evaluate(
        """() => fetch('/graphql', {method: 'POST', headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({query: '{ stats { totalNodes } }'})}).then((r) => r.status)"""
    )
    assert status == 403
    cross = s.context.new_page()
    cross.set_content(
        f'<form id="f" method="post" action="{served.base}/graphql" enctype="text/plain">'
        '<input name=\'{"query": "{ stats { totalNodes } }", "x": "\' value=\'"}\'></form>'
    )
    with cross.expect_navigation():
        cross.evaluate("() => document.getElementById('f').submit()")
    assert "totalNodes" not in cross.content()
    cross.close()

    # The one error in the console is the refusal itself.
    assert s.loaded.errors == [
        "error: Failed to load resource: the server responded with a status of 403 (Forbidden)"
    ]
    s.loaded.errors.clear()
    s.loaded.clean()
    cookies = s.context.cookies()
    session = next(c for c in cookies if c["name"] == "crimegraph_session")
    assert session["httpOnly"] and session["sameSite"] == "Strict" and RED not in session["value"]
    page.click("#cg-logout button")
    page.wait_for_url(lambda url: url.endswith("/login"))
    # Ended in the store: neither worker process accepts the cookie any more.
    jar = {"crimegraph_session": session["value"]}
    for _ in range(12):
        answer = httpx.get(served.base + "/view/neighbourhood/APT28", cookies=jar, follow_redirects=False)
        assert answer.status_code == 401
    page.goto(served.base + "/view/neighbourhood/APT28")
    assert "/login?next=" in page.url
    s.close()


def test_a_green_session_never_receives_what_is_above_it(
    browser: Browser, served: Served, tmp_path: Path
) -> None:
    s = Session(browser, served.base)
    s.sign_in(GREEN, f"/view/neighbourhood/{quote(APT28, safe='')}?depth=1")
    page = s.page
    assert page.get_attribute("#cg-banner", "data-tlp") == "CLEAR"
    assert served.keys["amber"] not in s.keys() and served.keys["red"] not in s.keys()
    s.double_click(APT28)
    s.idle()
    # The count behind expanding (the connection's totalCount) leaves the AMBER and RED links out too.
    query = "query($k: String!) { neighbours(key: $k, first: 1) { totalCount } }"
    counts = {
        key: httpx.post(
            f"{served.base}/graphql",
            json={"query": query, "variables": {"k": APT28}},
            headers={"Authorization": f"Bearer {key}"},
        ).json()["data"]["neighbours"]["totalCount"]
        for key in (GREEN, RED)
    }
    assert counts[GREEN] == counts[RED] - 2
    page.fill("#cg-search", "amber-informant")
    page.press("#cg-search", "Enter")
    page.wait_for_function("() => /Nothing found/.test(document.getElementById('cg-status').textContent)")
    page.fill("#cg-search", served.keys["red"])
    page.press("#cg-search", "Enter")
    s.idle()
    # A saved investigation made at RED, reopened at GREEN: the AMBER and RED entities counted, not named.
    saved = {
        "format": "crimegraph-investigation",
        "version": 1,
        "nodes": [
            {"key": APT28, "x": 0, "y": 0},
            {"key": served.keys["amber"], "x": 50, "y": 0},
            {"key": served.keys["red"], "x": 0, "y": 50},
        ],
        "filters": {},
    }
    path = tmp_path / "red.json"
    path.write_text(json.dumps(saved), encoding="utf-8")
    page.set_input_files("#cg-open", str(path))
    page.wait_for_function("() => /Reopened/.test(document.getElementById('cg-status').textContent)")
    assert s.keys() == {APT28}
    assert "2 entities of the saved investigation are not shown" in page.locator("#cg-notes").inner_text()
    everything = s.everything()
    for name in (*SECRET_NAMES, served.keys["amber"], served.keys["red"], "txAMBER", "7.77"):
        assert name not in everything, name
    # The money view of wallet A: 30 CLEAR transfers to B as one edge, the AMBER one not counted.
    page.goto(served.base + "/view/money/" + quote(served.keys["wallet"], safe=""))
    s.wait_ready()
    edges = page.evaluate("() => crimegraph.edges.get({filter: (e) => e.cgType === 'TRANSFERRED'})")
    assert len(edges) == 2
    to_b = next(e for e in edges if e["to"].startswith("btc:1BBB"))
    assert len(to_b["cgTransfers"]) == 30 and to_b["label"].startswith("30 transfers")
    everything = s.everything()
    for name in (*SECRET_NAMES, "txAMBER", "7.77", "txD", "1DDDD"):
        assert name not in everything, name
    s.loaded.clean()
    s.close()


def test_an_amber_sources_property_of_a_clear_node_never_reaches_a_green_workspace(
    browser: Browser, served: Served
) -> None:
    """Wallet B is CLEAR (public transfers); an AMBER report names it and adds a label and a cluster. A
    GREEN session sees B - in the served page, after expanding through ``neighbours`` and in search - but
    never the report's name or properties; an AMBER session sees them (so the check can fail)."""
    wallet, b = served.keys["wallet"], served.keys["b"]
    amber = Session(browser, served.base)
    amber.sign_in(AMBER, f"/view/neighbourhood/{quote(wallet, safe='')}?depth=1")
    assert b in amber.keys()
    assert all(word in amber.everything() for word in AMBER_STATEMENTS)
    amber.close()

    s = Session(browser, served.base)
    page = s.page
    # The served page: B drawn (by its address), none of the report's statements in the page.
    s.sign_in(GREEN, f"/view/neighbourhood/{quote(wallet, safe='')}?depth=1")
    assert b in s.keys()
    assert page.get_attribute("#cg-banner", "data-tlp") == "CLEAR"
    for word in AMBER_STATEMENTS:
        assert word not in s.everything(), word
    # Expanding through `neighbours`: from the hostile handle to wallet A, then A's neighbours bring B.
    page.goto(served.base + f"/view/neighbourhood/{quote(served.keys['hostile'], safe='')}?depth=1")
    s.wait_ready()
    assert wallet in s.keys() and b not in s.keys()
    s.double_click(wallet)
    s.idle()
    page.wait_for_function("(b) => crimegraph.nodes.get(b) !== null", arg=b)
    assert page.evaluate("(b) => crimegraph.nodes.get(b).label", b) != "AmberMixerName"
    for word in AMBER_STATEMENTS:
        assert word not in s.everything(), word
    # Search in the page (and the server's search behind it) finds nothing by the report's words.
    for word in AMBER_STATEMENTS:
        page.fill("#cg-search", word)
        page.press("#cg-search", "Enter")
        page.wait_for_function("() => /Nothing found/.test(document.getElementById('cg-status').textContent)")
        s.idle()
        assert word not in s.everything(), word
        page.evaluate("() => { document.getElementById('cg-status').textContent = '' }")
    s.loaded.clean()
    s.close()


def test_the_banner_marks_a_page_holding_an_amber_node(browser: Browser, served: Served) -> None:
    s = Session(browser, served.base)
    s.sign_in(AMBER, "/view/neighbourhood/Fancy%20Bear?depth=1")
    assert served.keys["amber"] in s.keys() and served.keys["red"] not in s.keys()
    assert s.page.get_attribute("#cg-banner", "data-tlp") == "AMBER"
    assert "TLP:AMBER" in s.page.locator("#cg-banner").inner_text()
    s.loaded.clean()
    s.close()


def test_hostile_labels_stay_inert_after_expand_and_search(browser: Browser, served: Served) -> None:
    s = Session(browser, served.base)
    s.sign_in(RED, f"/view/neighbourhood/{quote(MIMIKATZ, safe='')}?depth=0")
    page = s.page
    page.fill("#cg-search", "onerror")
    page.press("#cg-search", "Enter")
    page.wait_for_function(
        "(k) => crimegraph.nodes.get(k) !== null", arg=served.keys["hostile"], timeout=30_000
    )
    s.idle()
    assert page.evaluate("(k) => crimegraph.nodes.get(k).label", served.keys["hostile"]).startswith("<img")
    # Added with its link to what is drawn (Mimikatz).
    linked = "([a, b]) => crimegraph.edges.get().some((e) => e.from === a && e.to === b)"
    assert page.evaluate(linked, [served.keys["hostile"], MIMIKATZ])
    s.double_click(served.keys["hostile"])
    page.wait_for_function("() => crimegraph.nodes.get({filter: (n) => n.cgKind === 'Wallet'}).length > 0")
    s.idle()
    s.loaded.clean()
    s.shot("workspace-hostile")
    s.close()


def test_the_demos_busiest_wallet_is_readable(browser: Browser, served: Served) -> None:
    keys = served.keys
    assert int(keys["busiest_sent"]) > 10 * int(keys["busiest_pairs"])  # stacked transfers to draw
    s = Session(browser, served.base)
    s.sign_in(RED, "/view/money/" + quote(keys["busiest"], safe=""))
    edges = s.page.evaluate("() => crimegraph.edges.get({filter: (e) => e.cgType === 'TRANSFERRED'})")
    pairs = {(e["from"], e["to"]) for e in edges}
    # No more drawn edges than wallet pairs; the first hop's edges stand for every transfer sent.
    assert len(edges) == len(pairs)
    first = [e for e in edges if e["from"] == keys["busiest"]]
    assert len(first) == int(keys["busiest_pairs"])
    assert sum(e["cgCount"] for e in first) == int(keys["busiest_sent"])
    assert all(e["label"].split(" transfer")[0].replace(",", "").isdigit() for e in edges)
    s.page.mouse.move(5, 300)
    s.shot("workspace-money-demo")
    s.loaded.clean()
    s.close()


def test_money_on_the_demo_is_one_edge_per_wallet_pair(browser: Browser, served: Served) -> None:
    s = Session(browser, served.base)
    s.sign_in(RED, "/view/money/" + quote(served.keys["wallet"], safe=""))
    page = s.page
    edges = page.evaluate("() => crimegraph.edges.get({filter: (e) => e.cgType === 'TRANSFERRED'})")
    pairs = {(e["from"], e["to"]) for e in edges}
    assert len(edges) == len(pairs) == 3  # A to B (31 transfers), A to C (5), C to D (1)
    to_b = next(e for e in edges if e["to"].startswith("btc:1BBB"))
    assert to_b["label"].startswith("31 transfers") and "10.77 BTC ($120k for 30 of them)" in to_b["label"]
    page.evaluate(
        "(id) => crimegraph.network.emit('click', {nodes: [], edges: [id], pointer: {DOM: {x: 0, y: 0}}})",
        to_b["id"],
    )
    rows = page.locator("#cg-details tr").count()
    assert rows == 32 and "txAMBER" in page.locator("#cg-details").inner_text()
    s.shot("workspace-money")
    s.loaded.clean()
    s.close()


def test_the_right_click_menu_pin_fit_and_paths_to_the_selected_node(
    browser: Browser, served: Served
) -> None:
    s = Session(browser, served.base)
    s.sign_in(RED, "/view/neighbourhood/G0007?depth=1")
    page = s.page
    assert s.right_click(APT28) == [
        "Expand",
        "Hide",
        "Pin",
        "Open its neighbourhood",
        "[Paths to the selected node]",
        "Copy key",
    ]
    page.click("#cg-menu button:text('Pin')")
    assert page.evaluate("(k) => crimegraph.nodes.get(k).fixed", APT28) is True
    assert "Unpin" in s.right_click(APT28)
    page.click("#cg-menu button:text('Copy key')")
    assert page.evaluate("() => crimegraph.copied") == APT28
    page.click("#cg-fit")
    page.evaluate("(k) => crimegraph.network.selectNodes([k])", MIMIKATZ)
    assert "Paths to the selected node" in s.right_click(APT28)
    page.click("#cg-menu button:text('Paths to the selected node')")
    page.wait_for_url(lambda url: "/view/paths?source=" in url)
    s.wait_ready()
    assert {APT28, MIMIKATZ} <= s.keys()
    wallet = served.keys["wallet"]
    page.goto(served.base + "/view/neighbourhood/" + quote(wallet, safe="") + "?depth=1")
    s.wait_ready()
    assert "Money view" in s.right_click(wallet)
    page.click("#cg-menu button:text('Money view')")
    page.wait_for_url(lambda url: "/view/money/" in url)
    s.wait_ready()
    s.loaded.clean()
    s.close()


# Last: its wrong keys keep this address out of the sign-in form for a minute.
def test_sign_in_throttle_and_errors(served: Served) -> None:
    base = served.base
    form = httpx.get(f"{base}/login")
    assert form.status_code == 200 and 'type="password" name="key"' in form.text
    page = httpx.get(f"{base}/view/neighbourhood/APT28", headers={"Accept": "text/html"})
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=%2Fview%2F")
    assert (
        httpx.get(f"{base}/view/neighbourhood/APT28", headers={"Accept": "application/json"}).status_code
        == 401
    )
    ok = httpx.post(f"{base}/login", data={"key": GREEN, "next": "//evil.example/"})
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    start = httpx.get(f"{base}/", cookies=ok.cookies)
    assert start.status_code == 200 and "TLP:GREEN" in start.text and "None yet" in start.text
    opened = httpx.get(f"{base}/view/find?ref=G0007", cookies=ok.cookies, follow_redirects=True)
    assert opened.status_code == 200
    start = httpx.get(f"{base}/", cookies=ok.cookies)
    assert "Neighbourhood of APT28" in start.text and "/view/neighbourhood/" in start.text
    # The cookie opens GraphiQL signed in (it sends the session's CSRF token) and the exports.
    graphiql = httpx.get(f"{base}/graphiql", cookies=ok.cookies)
    assert re.search(r'name="crimegraph-csrf" content="[\w-]{20,}"', graphiql.text)
    assert 'name="crimegraph-csrf" content=""' in httpx.get(f"{base}/graphiql").text
    exported = httpx.get(f"{base}/export/gexf?key={quote(APT28)}&depth=1", cookies=ok.cookies, timeout=60)
    assert exported.status_code == 200 and exported.headers["x-crimegraph-clearance"] == "GREEN"
    wrong = [httpx.post(f"{base}/login", data={"key": f"wrong-key-{i:02d}-0123456789"}) for i in range(11)]
    assert [w.status_code for w in wrong] == [401] * 10 + [429]
    assert "That key was not accepted." in wrong[0].text and RED not in wrong[0].text
    # The window holds in every worker process; the right key waits too.
    assert httpx.post(f"{base}/login", data={"key": RED}).status_code == 429
    # Scripts keep working with the Bearer header.
    bearer = httpx.get(f"{base}/view/neighbourhood/APT28", headers={"Authorization": f"Bearer {RED}"})
    assert bearer.status_code == 200
    many = httpx.get(f"{base}/view/find?ref=Sofacy", headers={"Authorization": f"Bearer {RED}"})
    assert (
        many.status_code == 200
        and "CORESHELL" in many.text
        and many.text.index("APT28") < many.text.index("XAgentOSX")
    )
    one = httpx.get(f"{base}/view/find?ref=G0007", headers={"Authorization": f"Bearer {RED}"})
    assert one.status_code == 303 and one.headers["location"].endswith(APT28)
    hidden = httpx.get(
        f"{base}/view/neighbourhood/amber-informant", headers={"Authorization": f"Bearer {GREEN}"}
    )
    missing = httpx.get(
        f"{base}/view/neighbourhood/nobody-at-all", headers={"Authorization": f"Bearer {GREEN}"}
    )
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace("amber-informant", "X") == missing.json()["detail"].replace(
        "nobody-at-all", "X"
    )
