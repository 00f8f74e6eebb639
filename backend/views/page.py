"""One self-contained HTML page: our template, vis-network inlined from pyvis' bundle, the data as JSON.

The page loads nothing from anywhere (no ``http://``/``https://`` resource, it works from ``file://`` on an
air-gapped workstation) and carries a Content-Security-Policy that lets only its own inline scripts run, by
hash: markup that slipped in with the data could not run even if it reached the DOM.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import orjson
import pyvis
from markupsafe import Markup

from backend.export.files import Written, write_file
from backend.views.marking import banner, marking_data
from graph_model.provenance import TLP
from graph_model.words import counted, plural

ASSETS = resources.files("backend.views") / "assets"
VIS_VERSION = "9.1.2"


@dataclass(frozen=True, slots=True)
class Page:
    """A rendered view: the HTML and the Content-Security-Policy it declares (sent as a header too)."""

    html: str
    csp: str
    counts: dict[str, Any] = field(default_factory=dict)

    @property
    def header_csp(self) -> str:
        """The policy as an HTTP header, with what a ``<meta>`` policy cannot say (framing)."""
        return self.csp + "; frame-ancestors 'none'"

    def write(self, path: Path) -> Written:
        """Replace ``path`` with the page atomically (a failure leaves an earlier file as it was)."""
        return write_file(path, self.html)


@cache
def vis_script() -> str:
    """vis-network from the pyvis package, with ``://`` written ``:\\/\\/``.

    The bundle names URLs only in comments and string literals (licence links, the SVG namespace), where
    ``\\/`` is ``/``; written this way the page holds no URL text at all, which makes "no external URL"
    a check anyone can grep for.
    """
    path = Path(pyvis.__file__).parent / "lib" / f"vis-{VIS_VERSION}" / "vis-network.min.js"
    code = path.read_text(encoding="utf-8")
    return code.replace("://", ":\\/\\/").replace("</script", "<\\/script")


VIS_PATH = f"/view/assets/vis-network-{VIS_VERSION}.min.js"  # where a served page loads it from


@cache
def vis_integrity() -> str:
    """The Subresource Integrity of :func:`vis_script` (``sha256-...``): also its hash in the policy."""
    return _sha256(vis_script()).strip("'")


@cache
def _asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(_asset("view.html"))


def json_for_script(data: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``<``, ``>``, ``&`` or ``/`` left raw."""
    try:  # orjson: the same compact JSON, several times quicker on a 1,000-node view's 4 MB
        text = orjson.dumps(data).decode()
    except TypeError:  # what only the standard encoder takes (an int beyond 64 bits)
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("/", "\\/")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _sha256(code: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(code.encode("utf-8")).digest()).decode() + "'"


def csp_for(scripts: list[str], *, served: bool = False) -> str:
    """The policy: nothing from anywhere, scripts only these inline ones, inline styles (vis sets them).
    A served page may also talk to its own server (expand, search, reopen; the sign-out form)."""
    hashes = " ".join(_sha256(code) for code in scripts)
    return (
        "default-src 'none'; "
        f"script-src {hashes}; "
        "style-src 'unsafe-inline'; "
        "img-src data: blob:; "
        + ("connect-src 'self'; " if served else "")
        + "base-uri 'none'; "
        + ("form-action 'self'" if served else "form-action 'none'")
    )


def choose_page(ref: str, items: list[dict[str, Any]], highest: str, clearance: str) -> Page:
    """The page that lists the entities a reference names, to choose one (exact matches first)."""
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    csp = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'"
    html = env.from_string(_asset("choose.html")).render(
        ref=ref,
        items=items,
        count=len(items),
        exact=any(item["exact"] for item in items),
        **banner(TLP.parse(highest), TLP.parse(clearance)),
    )
    return Page(html=html, csp=csp, counts={"choices": len(items)})


def candidates_page(
    listing: dict[str, Any], items: list[dict[str, Any]], highest: TLP, clearance: TLP
) -> Page:
    """The same-person candidates a caller may see, each a link to the pair's view (no script).

    ``listing`` holds ``shown``, ``total``, ``min_score`` and the counts ``compared``, ``all_pairs`` and
    ``handles`` (integers), which :func:`compared_words` words.
    """
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    csp = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'"
    counts = {key: listing[key] for key in ("compared", "all_pairs", "handles")}
    rest = {key: value for key, value in listing.items() if key not in counts}
    html = env.from_string(_asset("candidates.html")).render(
        items=items, compared_words=compared_words(**counts), **rest, **banner(highest, clearance)
    )
    return Page(html=html, csp=csp, counts={"candidates": len(items)})


def compared_words(compared: int, all_pairs: int, handles: int) -> str:
    """How many pairs of the handles a caller may see the model compared, its count meeting its noun.

    Examples
    --------
    >>> compared_words(3, 6, 4)
    '3 of the 6 pairs of the 4 handles you may see were compared'
    >>> compared_words(1, 1, 2)
    'the one pair of the 2 handles you may see was compared'
    >>> compared_words(0, 1, 2)
    'the one pair of the 2 handles you may see was not compared'
    >>> compared_words(0, 0, 1)
    'you may see 1 handle: there is no pair to compare'
    """
    if all_pairs == 0:
        return f"you may see {counted(handles, 'handle')}: there is no pair to compare"
    if all_pairs == 1:
        done = "was compared" if compared else "was not compared"
        return f"the one pair of the {handles:,} handles you may see {done}"
    return (
        f"{compared:,} of the {all_pairs:,} pairs of the {handles:,} handles you may see "
        f"{plural(compared, 'was', 'were')} compared"
    )


def page(title: str, data: dict[str, Any]) -> Page:
    """The page for one view's data (see :mod:`backend.views.render` for its shape)."""
    scripts = [vis_script(), _asset("view.js")]
    served = bool(data.get("api"))
    csp = csp_for(scripts, served=served)
    data = {**data, "marking": marking_data()}
    # A served page loads vis-network from its server, by the same hash (Subresource Integrity, which the
    # policy's hash then allows): the browser caches it and its compiled code across views, instead of
    # reading and compiling 0.5 MB inline on every page. A file stays self-contained (file://, offline).
    html = _template().render(
        title=title,
        csp=csp,
        css=Markup(_asset("view.css")),
        data=Markup(json_for_script(data)),
        vis=Markup(scripts[0]),
        vis_src=VIS_PATH if served else None,
        vis_integrity=vis_integrity(),
        app=Markup(scripts[1]),
        served=served,
        **banner(TLP.parse(data.get("tlp") or "CLEAR"), TLP.parse(data.get("clearance") or "RED")),
    )
    counts = {
        "nodes": len(data.get("nodes", ())),
        "edges": len(data.get("edges", ())),
        "aggregated": bool(data.get("aggregated")),
    }
    return Page(html=html, csp=csp, counts=counts)
