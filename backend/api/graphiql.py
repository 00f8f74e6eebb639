"""GraphiQL from assets inside the package (no CDN, so it works on air-gapped networks)."""

from __future__ import annotations

import gzip
import html
from functools import cache
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse

STATIC = Path(__file__).parent / "static"
ASSETS = {
    "graphiql.min.js": "application/javascript",
    "graphiql.min.css": "text/css",
    "react.production.min.js": "application/javascript",
    "react-dom.production.min.js": "application/javascript",
    "graphiql-init.js": "application/javascript",
}
PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>crimegraph GraphiQL</title>
  <meta name="robots" content="noindex">
  <meta name="crimegraph-csrf" content="{csrf}">
  <style>body { margin: 0; height: 100vh; } #graphiql { height: 100vh; }</style>
  <link rel="stylesheet" href="graphiql/assets/graphiql.min.css">
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="graphiql/assets/react.production.min.js"></script>
  <script src="graphiql/assets/react-dom.production.min.js"></script>
  <script src="graphiql/assets/graphiql.min.js"></script>
  <script src="graphiql/assets/graphiql-init.js"></script>
</body>
</html>
"""
# Everything the page loads comes from this server; the page talks to this server only.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'"
)


@cache
def _asset(name: str) -> tuple[bytes, bool]:
    """The asset's bytes and whether they are gzip-compressed."""
    compressed = STATIC / f"{name}.gz"
    if compressed.is_file():
        return compressed.read_bytes(), True
    return (STATIC / name).read_bytes(), False


def graphiql_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/graphiql")
    async def page(request: Request) -> HTMLResponse:
        """GraphiQL; in a signed-in browser it sends the session's CSRF token, so queries need no key."""
        from backend.api.sessions import signed_in  # sessions build on the app's auth

        session = await signed_in(request)
        csrf = html.escape(session.csrf) if session is not None else ""
        return HTMLResponse(
            PAGE.replace("{csrf}", csrf),
            headers={"Content-Security-Policy": POLICY, "Cache-Control": "no-store"},
        )

    @router.get("/graphiql/assets/{name}")
    async def asset(name: str, request: Request) -> Response:
        if name not in ASSETS:
            raise HTTPException(status_code=404, detail="no such asset")
        body, compressed = _asset(name)
        headers = {"Cache-Control": "public, max-age=86400", "Vary": "Accept-Encoding"}
        if compressed:
            if "gzip" in request.headers.get("accept-encoding", ""):
                headers["Content-Encoding"] = "gzip"
            else:
                body = gzip.decompress(body)
        return Response(body, media_type=ASSETS[name], headers=headers)

    return router
