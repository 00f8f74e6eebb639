"""Headless Chromium (Debian's package, driven by Playwright) with no network, and what a view did in it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, Request, Route

CHROMIUM = Path(os.environ.get("CRIMEGRAPH_CHROMIUM", "/usr/bin/chromium"))
# No sandbox: CI runs as root. Host names resolve to nothing, besides the route that aborts other requests.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


def shots_dir() -> Path:
    """Screenshots go to the CI log folder (``.ci/run``): ``$CRIMEGRAPH_CI_LOG_DIR/views``."""
    base = os.environ.get("CRIMEGRAPH_CI_LOG_DIR") or os.path.join(
        os.environ.get("TMPDIR", "/tmp"), "crimegraph-ci"
    )
    path = Path(base) / "views"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Loaded:
    """A view loaded in the browser: the page, and everything that went wrong or was attempted."""

    page: Page
    errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Nodes and edges in the vis DataSets, and those not hidden in the current state."""
        result: dict[str, int] = self.page.evaluate(
            "() => ({nodes: crimegraph.nodes.length, edges: crimegraph.edges.length,"
            " visible_nodes: crimegraph.visible().nodes, visible_edges: crimegraph.visible().edges})"
        )
        return result

    def pwned(self) -> Any:
        return self.page.evaluate("() => window.__pwned")

    def clean(self) -> None:
        """No console error, no request outside the allowed origin, no dialog, no injected code ran."""
        assert self.errors == [], self.errors
        assert self.blocked == [], self.blocked
        assert self.dialogs == [], self.dialogs
        assert self.pwned() is None
        assert self.page.evaluate("() => document.querySelectorAll('img, iframe, object, embed').length") == 0

    def screenshot(self, name: str) -> Path:
        path = shots_dir() / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


def open_view(
    browser: Browser,
    url: str,
    *,
    allowed: str = "file://",
    headers: dict[str, str] | None = None,
    post_json: str | None = None,
    timeout_ms: float = 30_000,
) -> Loaded:
    """Open ``url`` in a fresh 1400x900 context that may load nothing outside ``allowed``; wait until the
    view says it is drawn and stable."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, extra_http_headers=headers or {})
    page = context.new_page()
    loaded = Loaded(page)
    page.on(
        "console",
        lambda msg: (
            loaded.errors.append(f"{msg.type}: {msg.text}") if msg.type in ("error", "warning") else None
        ),
    )
    page.on("pageerror", lambda exc: loaded.errors.append(f"pageerror: {exc}"))

    def on_dialog(dialog: Any) -> None:
        loaded.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)

    def route(route: Route, request: Request) -> None:
        if not request.url.startswith(allowed):
            loaded.blocked.append(request.url)
            route.abort()
        elif post_json is not None and request.url == url:
            route.continue_(
                method="POST",
                post_data=post_json,
                headers={**request.headers, "content-type": "application/json"},
            )
        else:
            route.continue_()

    page.route("**/*", route)
    response = page.goto(url)
    if url.startswith("http"):
        assert response is not None and response.ok, response and (response.status, response.text())
    page.wait_for_function("() => window.crimegraph && window.crimegraph.ready", timeout=timeout_ms)
    return loaded


def hover_node(loaded: Loaded, node_id: str) -> str:
    """Hover a node and return the text of the tooltip vis shows for it."""
    page = loaded.page
    page.evaluate("(id) => { crimegraph.network.focus(id, {scale: 1.5}); }", node_id)
    box = page.locator("#cg-network").bounding_box()
    assert box is not None
    pos = page.evaluate(
        "(id) => { const p = crimegraph.network.getPosition(id); return crimegraph.network.canvasToDOM(p); }",
        node_id,
    )
    page.mouse.move(box["x"] + pos["x"] + 3, box["y"] + pos["y"] + 3)
    page.mouse.move(box["x"] + pos["x"], box["y"] + pos["y"])
    tooltip = page.locator("#cg-tooltip")
    tooltip.wait_for(state="visible", timeout=5000)
    return tooltip.inner_text()
