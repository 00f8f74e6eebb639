"""A takedown package as one self-contained HTML page: no script, no external resource, every value escaped.

The page forbids everything but its own inline style (Content-Security-Policy), so it opens the same on an
air-gapped analyst workstation as anywhere else, and a hostile name in the data stays text.
"""

from __future__ import annotations

from html import escape
from typing import Any

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
.tlp { display: inline-block; padding: .2em .7em; font-weight: bold; background: #000; }
.tlp-CLEAR { color: #fff; } .tlp-GREEN { color: #33ff00; } .tlp-AMBER, .tlp-AMBER-STRICT { color: #ffc000; }
.tlp-RED { color: #ff2b2b; }
table { border-collapse: collapse; width: 100%; margin: .5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: .3em .5em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; width: 12em; } code { font-size: 90%; } .path { margin: .2em 0; }
"""
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'"


def _e(value: Any) -> str:
    """Any data value as HTML text (quotes too, so it is safe in attributes as well)."""
    if value is None or value == "" or value == []:
        return "&mdash;"
    if isinstance(value, list | tuple):
        return ", ".join(escape(str(v), quote=True) for v in value)
    return escape(str(value), quote=True)


def _tlp(label: str) -> str:
    css = "tlp-" + label.replace("+", "-")
    return f'<span class="tlp {_e(css)}">TLP:{_e(label)}</span>'


def _path(path: dict[str, Any]) -> str:
    parts = []
    for index, node in enumerate(path["nodes"]):
        parts.append(f"<b>{_e(node['name'])}</b> <small>({_e(node['kind'])})</small>")
        if index < len(path["edges"]):
            edge = path["edges"][index]
            arrow = "&rarr;" if edge["direction"] == "out" else "&larr;"
            parts.append(f" {arrow} <code>{_e(edge['type'])}</code> {arrow} ")
    note = ""
    if path.get("separates"):
        note = f" &mdash; holds together {_e(' and '.join(str(s) for s in path['separates']))} nodes"
    elif path.get("detour") is not None:
        note = f" &mdash; without it: {_e(path['detour'])} hops"
    elif "detour" in path:
        note = " &mdash; without it: no other way"
    return f'<div class="path">{"".join(parts)}{note}</div>'


def _target(number: int, target: dict[str, Any]) -> str:
    evidence = target["evidence"]
    prov = evidence["provenance"]
    rows = [
        ("key", f"<code>{_e(target['key'])}</code>"),
        ("kind", f"{_e(target['kind'])} / {_e(target['type'])}"),
        ("why", _e(target["why"])),
        ("score / cost", f"{_e(target['score'])} / {_e(target['cost'])}"),
        ("marking", _tlp(prov["tlp"])),
        ("confidence", _e(prov["confidence"])),
        ("first seen", _e(prov["first_seen"])),
        ("last seen", _e(prov["last_seen"])),
        ("sources", _e(prov["sources"])),
        ("aliases", _e(evidence["aliases"])),
    ]
    rows += [(str(name), _e(value)) for name, value in sorted(evidence["properties"].items())]
    paths = "".join(_path(p) for p in evidence["critical_paths"]) or "&mdash;"
    rows.append(("critical paths", paths))
    body = "".join(f"<tr><th>{_e(name)}</th><td>{cell}</td></tr>" for name, cell in rows)
    return f"<h2>{number}. {_e(target['name'])}</h2><table>{body}</table>"


def render_report(package: dict[str, Any]) -> str:
    """The page for one party's package (the dict of ``Package.party_json``)."""
    party = package["party"]
    title = f"Takedown request: {party['name']}"
    targets = "".join(_target(i, t) for i, t in enumerate(package["targets"], 1))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>"
        f"<p>{_tlp(package['tlp'])}</p>"
        f"<h1>{_e(title)}</h1>"
        "<table>"
        f"<tr><th>party</th><td>{_e(party['kind'])}: {_e(party['name'])}</td></tr>"
        f"<tr><th>jurisdiction</th><td>{_e(party['jurisdiction'] or 'not known')}</td></tr>"
        f"<tr><th>objective</th><td>{_e(package['objective'])}</td></tr>"
        f"<tr><th>targets</th><td>{len(package['targets'])}</td></tr>"
        f"<tr><th>prepared for clearance</th><td>{_tlp(package['clearance'])}</td></tr>"
        "</table>"
        f"{targets}"
        f"<p>{_tlp(package['tlp'])}</p></body></html>\n"
    )
