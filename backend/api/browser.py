"""Signing in from a browser: ``GET/POST /login``, ``POST /logout`` and the start page ``/``.

Plain HTML forms, no script: the pages load nothing and may only post back to this server.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Annotated
from urllib.parse import parse_qs

import jinja2
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup

from backend.api.auth import Caller, KeyRing, current_caller
from backend.api.deps import Runner, StoreHolder
from backend.api.sessions import (
    COOKIE,
    Sessions,
    client_address,
    recent_views,
    throttled,
    wrong_try,
)
from backend.views.marking import banner
from graph_model.provenance import TLP

MAX_FORM = 4096  # bytes of a sign-in form
POLICY = "; ".join(
    [
        "default-src 'none'",
        "style-src 'unsafe-inline'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
PAGES = resources.files("backend.api") / "pages"
_env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)


@cache
def _template(name: str) -> jinja2.Template:
    return _env.from_string((PAGES / name).read_text(encoding="utf-8"))


@cache
def _style() -> Markup:
    return Markup((PAGES / "page.css").read_text(encoding="utf-8"))


router = APIRouter(include_in_schema=False)


def _page(html: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status_code, headers=HEADERS)


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this server only (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\\\" in value:
        return "/"
    return value


def _login(target: str, error: str = "", status_code: int = 200) -> HTMLResponse:
    return _page(_template("login.html").render(style=_style(), next=target, error=error), status_code)


@router.get("/login")
async def login_form(next: str = "/") -> HTMLResponse:
    return _login(safe_next(next))


@router.post("/login")
async def login(request: Request) -> Response:
    """Check the key; 303 to ``next`` with a session cookie, or the form again with one line."""
    body = await request.body()
    form = parse_qs(body[:MAX_FORM].decode("utf-8", "replace"), keep_blank_values=True)
    key = (form.get("key") or [""])[0]
    target = safe_next((form.get("next") or ["/"])[0])
    holder: StoreHolder = request.app.state.store_holder
    store = await holder.aget()
    run = Runner(holder, request.app.state.settings.api.time_budget)
    client = client_address(request)
    too_many = _page(
        _template("login.html").render(
            style=_style(), next=target, error="Too many wrong keys from this address: wait a minute."
        ),
        429,
    )
    if await run(throttled, store, client):
        return too_many
    keyring: KeyRing = request.app.state.keyring
    caller = keyring.lookup(key) if key else None
    if caller is None:
        await run(wrong_try, store, client)
        return _page(
            _template("login.html").render(style=_style(), next=target, error="That key was not accepted."),
            401,
        )
    sessions: Sessions = request.app.state.sessions
    session = await run(sessions.open, store, caller)
    response = RedirectResponse(target, status_code=303, headers=HEADERS)
    response.set_cookie(
        COOKIE,
        sessions.cookie(session.id),
        max_age=int(sessions.seconds),
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session (in the store: every worker process stops accepting it) and drop the cookie."""
    holder: StoreHolder = request.app.state.store_holder
    store = await holder.aget()
    sessions: Sessions = request.app.state.sessions
    await Runner(holder, request.app.state.settings.api.time_budget)(
        sessions.end, store, request.cookies.get(COOKIE)
    )
    response = RedirectResponse("/login", status_code=303, headers=HEADERS)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get("/")
async def start(request: Request, caller: Annotated[Caller, Depends(current_caller)]) -> HTMLResponse:
    """What the signed-in user can open: an entity by any reference, the views opened lately."""
    session = getattr(request.state, "session", None)
    recent = recent_views(session, caller.clearance)
    marks = banner(TLP.CLEAR, caller.clearance)
    return _page(
        _template("start.html").render(
            style=_style(),
            name=getattr(caller, "name", caller.key_id),
            role=caller.role.name.lower(),
            clearance=marks["clearance"],
            clearance_color=marks["clearance_color"],
            recent=recent,
        )
    )
