"""A plan's packages as files: per party a folder with ``package.json`` (the data), ``report.html`` (the
request in the receiver's language), ``bundle.stix.json`` (exactly the items the report lists), an XARF
report per infrastructure target for abuse desks and, for units, ``cover-note.html`` (a preservation request
in the form of Budapest Convention articles 29 and 30); ``index.json`` lists the parties and
``manifest.json`` every file with its SHA-256, the time, the requester and the data version.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from backend.export import stix
from backend.export.files import Written, write_folder
from backend.export.package.build import Package, PartyPackage
from backend.export.package.manifest import MANIFEST, manifest
from backend.export.package.render import Renderer, party_name, translator
from backend.export.package.xarf import TYPES as XARF_TYPES
from backend.export.package.xarf import report as xarf_report
from graph_model.store.base import to_networkx

DEFAULT_LANGUAGE = "en"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "party"


def _json(data: Any) -> bytes:
    return (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def bundle(item: PartyPackage, title: str, objective: str) -> bytes:
    """The STIX bundle of one party's package: its items, the targets grouped."""
    graph = to_networkx(item.nodes.values(), item.edges.values())
    keys = tuple(dict.fromkeys(r.target for r in item.requests))
    grouping = stix.Grouping(title, f"Targets of a takedown plan ({objective}) for {title}.", keys)
    return stix.dumps(graph, grouping=grouping)


def _identifier(target: dict[str, Any]) -> str | None:
    """What an abuse desk looks a target up by: the target itself when it is an address, a domain or an AS,
    else the first such on its way to the party (a forum's IP address)."""
    if target["kind"] == "Infrastructure" and target["type"] in XARF_TYPES:
        return str(target["name"])
    for step in target.get("via") or ():
        if step["kind"] == "Infrastructure" and step["type"] in XARF_TYPES:
            return str(step["name"])
    return None


def package_files(package: Package, language: str = DEFAULT_LANGUAGE) -> dict[str, bytes]:
    """Every file of the package by relative path (see the module docstring)."""
    t = translator(language)
    files: dict[str, bytes] = {}
    index: list[dict[str, Any]] = []
    folders: set[str] = set()
    custodians: dict[str, list[str]] = {}
    documents = [(item, package.party_json(item, language)) for item in package.parties]
    for _, data in documents:
        if not data["unit"]:
            for request in data["requests"]:
                custodians.setdefault(request["target"], []).append(party_name(data, t))
    for item, data in documents:
        title = party_name(data, t)
        party = data["party"]
        folder = _slug(f"{party['kind']}-{party['name'] or party['country'] or 'own-unit'}")
        while folder in folders:
            folder += "-x"
        folders.add(folder)
        render = Renderer(data)
        files[f"{folder}/package.json"] = _json(data)
        files[f"{folder}/report.html"] = render.report().encode("utf-8")
        files[f"{folder}/bundle.stix.json"] = bundle(item, title, package.objective)
        written = ["package.json", "report.html", "bundle.stix.json"]
        if data["unit"]:
            held = {k: "; ".join(v) for k, v in custodians.items()}
            files[f"{folder}/cover-note.html"] = render.cover_note(held).encode("utf-8")
            written.append("cover-note.html")
        else:
            for target in data["targets"]:
                identifier = _identifier(target)
                if identifier is not None:
                    name = f"xarf/{_slug(target['name'])}.json"
                    summary = f"{target['name']} ({target['kind']} / {target['type']}): " + " ".join(
                        render.t(r["id"], **r["values"]) for r in target["reasons"]
                    )
                    report = xarf_report(data, target, identifier, render.evidence_text(target), summary)
                    files[f"{folder}/{name}"] = _json(report)
                    written.append(name)
        index.append(
            {
                "party": party,
                "title": title,
                "folder": folder,
                "tlp": data["tlp"],
                "targets": [r["target"] for r in data["requests"]],
                "files": written,
            }
        )
    about = {
        "created": package.created,
        "requester": package.requester.name,
        "unit": package.requester.unit,
        "data_version": package.data_version,
        "clearance": package.clearance.label,
        "objective": package.objective,
        "language": language,
    }
    files["index.json"] = _json({**about, "parties": index})
    files[MANIFEST] = manifest(files, about)
    return files


def write_package(
    package: Package, out_dir: Path, *, force: bool = False, language: str = DEFAULT_LANGUAGE
) -> Written:
    """Write :func:`package_files` as the folder ``out_dir`` (never-destroy writes, see ``files.py``)."""
    about = {"package": package.objective, "clearance": package.clearance.label}
    return write_folder(out_dir, package_files(package, language), force=force, about=about)
