"""TAXII 2.1 media types, responses and the spec's error object."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response

TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"
ACCEPTED = ("application/taxii+json", "application/*", "*/*")


class TaxiiError(Exception):
    """An expected failure, answered as the spec's error object with its HTTP status."""

    def __init__(self, status: int, title: str, description: str = "") -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.description = description


def taxii_response(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=TAXII, headers=headers)


def error_response(exc: TaxiiError) -> Response:
    body = {"title": exc.title, "http_status": str(exc.status)}
    if exc.description:
        body["description"] = exc.description
    headers = {"WWW-Authenticate": 'Basic realm="crimegraph", Bearer'} if exc.status == 401 else None
    return taxii_response(body, exc.status, headers)


def check_accept(request: Request) -> None:
    """406 unless the client accepts TAXII 2.1 JSON (no Accept header accepts anything)."""
    accept = request.headers.get("accept", "")
    if not accept.strip():
        return
    for part in accept.split(","):
        media = part.strip().lower()
        kind = media.split(";")[0].strip()
        if kind in ACCEPTED and ("version=" not in media or "version=2.1" in media.replace(" ", "")):
            return
    raise TaxiiError(406, "Not Acceptable", f"this server speaks {TAXII}")
