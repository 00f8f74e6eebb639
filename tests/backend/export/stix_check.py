"""The OASIS ``stix2-validator`` run over an exported bundle, returning every error it reports.

The validator builds a JSON-schema validator per object (about 20 ms each), so a bundle of a hundred
thousand objects takes half an hour. ``sample`` bounds that for the big real datasets: every object of a
shape not seen before is validated (shape = type, relationship type, property names and vocabulary
values), every indicator (its pattern), plus every n-th of the rest; every URL of the bundle goes
through the validator's own ``uri`` check (:func:`uri_errors`).
"""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator
from stix2validator import ValidationOptions, validate_string

FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER

VOCABULARY = ("identity_class", "relationship_type", "malware_types", "tool_types", "infrastructure_types")


def shape(obj: dict[str, Any]) -> tuple[Any, ...]:
    """What the validator's checks depend on, apart from values it checks one by one for format."""
    vocab = tuple(str(obj.get(name)) for name in VOCABULARY)
    extra = tuple(sorted(obj.get("x_crimegraph_properties") or {}))
    refs = tuple(sorted(r.get("source_name", "") for r in obj.get("external_references") or ()))
    ends = (obj.get("source_ref", "").partition("--")[0], obj.get("target_ref", "").partition("--")[0])
    return (
        obj["type"],
        tuple(sorted(obj)),
        vocab,
        extra,
        refs,
        ends,
        tuple(obj.get("object_marking_refs", ())),
    )


def uri_errors(bundle: dict[str, Any]) -> list[str]:
    """Every URL of the bundle through the validator's own ``uri`` format check (it checks them one by one,
    so a sample of shapes says nothing about them)."""
    errors = []
    for obj in bundle["objects"]:
        urls = [r["url"] for r in obj.get("external_references") or () if "url" in r]
        for url in urls:
            if not FORMAT_CHECKER.conforms(url, "uri"):
                errors.append(f"{obj['id']}: {url!r} is not a 'uri'")
    return errors


def chosen(bundle: dict[str, Any], sample: int | None) -> list[dict[str, Any]]:
    if sample is None:
        return list(bundle["objects"])
    seen: set[tuple[Any, ...]] = set()
    picked = []
    for index, obj in enumerate(bundle["objects"]):
        key = shape(obj)
        if key not in seen or index % sample == 0 or obj["type"] == "indicator":
            seen.add(key)
            picked.append(obj)
    return picked


def stix_errors(bundle: dict[str, Any], *, sample: int | None = None) -> tuple[list[str], int]:
    """The validator's errors for the bundle (or a sample of it), and how many objects it checked."""
    objects = chosen(bundle, sample)
    extra = uri_errors(bundle) if sample is not None else []
    text = json.dumps({"type": "bundle", "id": bundle["id"], "objects": objects})
    result = validate_string(text, ValidationOptions(version="2.1"))
    errors = [str(e) for e in result.errors]
    for obj_result in getattr(result, "object_results", ()):
        errors += [str(e) for e in obj_result.errors]
    if not result.is_valid and not errors:
        errors.append("the validator found the bundle invalid")
    return errors + extra, len(objects)


# What a load records of itself, not of the thing: which datasets said it (and which said what), and when
# crimegraph first loaded it.
OWN_RECORD = frozenset({"sources", "date_added", "stated"})


def _facts(attrs: dict[str, Any]) -> dict[str, Any]:
    found = {a: v for a, v in attrs.items() if a not in OWN_RECORD}
    if "marked" in found:  # the levels of what it shows, but not of the load's record
        marks = {k: v for k, v in json.loads(found["marked"]).items() if k not in OWN_RECORD}
        found["marked"] = marks
    return found


def graph_facts(graph: Any) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Every node and edge of a networkx graph by key, with its attributes apart from the load's record."""
    nodes = {k: _facts(d) for k, d in graph.nodes(data=True)}
    edges = {k: {"ends": (u, v), **_facts(d)} for u, v, k, d in graph.edges(keys=True, data=True)}
    return nodes, edges


def assert_same_graph(before: Any, after: Any) -> None:
    """The same nodes and edges with the same kinds, types, names, properties, markings, confidence and dates
    (first/last seen, created/modified); the first differences are named."""
    (n1, e1), (n2, e2) = graph_facts(before), graph_facts(after)
    assert sorted(n1.keys() - n2.keys())[:5] == [] and sorted(n2.keys() - n1.keys())[:5] == []
    assert sorted(e1.keys() - e2.keys())[:5] == [] and sorted(e2.keys() - e1.keys())[:5] == []
    differing = [(k, n1[k], n2[k]) for k in sorted(n1) if n1[k] != n2[k]]
    differing += [(k, e1[k], e2[k]) for k in sorted(e1) if e1[k] != e2[k]]
    assert differing[:3] == [], f"{len(differing)} differ"
