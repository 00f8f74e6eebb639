"""XARF v4 abuse reports (the JSON format abuse desks machine-read) for the infrastructure targets of a
package, each checked by the ``xarf`` library before it is written.

One report per target: category ``reputation``, type ``threat_intelligence``, the target as
``source_identifier``, the requester's unit as reporter and sender, the package's evidence as a text evidence
item (base64, with its SHA-256; the confidence of each observation is in it - the library's typed model of
this report type takes no fractional ``confidence``), the target's last sighting as the incident time,
malware families as tags.
Nothing in it names a suspect: the same need-to-know filtering as the package it belongs to.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from typing import Any

import xarf

from backend.export.stix_objects import NAMESPACE
from graph_model.errors import ValidationError

XARF_VERSION = "4.2.0"
TYPES = frozenset({"domain", "ip", "cidr", "url", "host", "email", "asn"})
_TAG = re.compile(r"[^a-z0-9_+-]+")


def _tag(namespace: str, value: str) -> str | None:
    slug = _TAG.sub("-", value.lower()).strip("-_+")
    return f"{namespace}:{slug}" if slug else None


def _contact(requester: dict[str, Any]) -> dict[str, str]:
    email = requester.get("email") or "cybercrime-unit@invalid.example"
    return {
        "org": str(requester.get("unit") or "cybercrime unit")[:200],
        "contact": email,
        "domain": email.rpartition("@")[2],
    }


def report(
    package: dict[str, Any], target: dict[str, Any], identifier: str, evidence_text: str, summary: str
) -> dict[str, Any]:
    """The XARF report for one target of a party's package (a ``package.json`` dict), looked up by
    ``identifier`` (the target's address, domain or AS, or the one it runs on); ``summary`` is the
    description, in the package's language."""
    families: list[str] = next(
        (r["values"]["families"] for r in target["reasons"] if r["id"] == "reason.c2"), []
    )
    threat = "malware_c2" if families else "criminal_infrastructure"
    payload = evidence_text.encode("utf-8")
    tags = [t for t in (_tag("malware", f) for f in families) if t][:19]
    tags.append(f"tlp:{package['tlp'].lower().replace('+', '-')}")
    when = target.get("last_seen") or target.get("first_seen") or package["created"]
    data: dict[str, Any] = {
        "xarf_version": XARF_VERSION,
        "report_id": str(
            uuid.uuid5(NAMESPACE, f"xarf|{package['created']}|{package['party']['kind']}|{target['key']}")
        ),
        "timestamp": when,
        "reporter": _contact(package["requester"]),
        "sender": _contact(package["requester"]),
        "source_identifier": identifier,
        "category": "reputation",
        "type": "threat_intelligence",
        "threat_type": threat,
        "evidence_source": "threat_intelligence",
        "description": summary[:1000],
        "tags": tags,
        "evidence": [
            {
                "content_type": "text/plain",
                "description": "Observations of the target: times, sources, confidence, marking",
                "payload": base64.b64encode(payload).decode("ascii"),
                "hash": "sha256:" + hashlib.sha256(payload).hexdigest(),
                "size": len(payload),
            }
        ],
    }
    check(data)
    return data


def check(data: dict[str, Any]) -> None:
    """ValidationError naming the first problems when the ``xarf`` library does not accept ``data``."""
    result = xarf.parse(json.loads(json.dumps(data)))  # strict would make recommended fields required
    if result.errors or result.report is None:
        problems = "; ".join(f"{e.field}: {e.message}" for e in result.errors[:3]) or "no typed report"
        raise ValidationError(f"XARF report for {data.get('source_identifier')!r} is not valid: {problems}")
