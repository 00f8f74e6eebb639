"""Who is calling: API keys from settings, each with a role and a TLP clearance.

Keys are configured as ``CRIMEGRAPH_API_KEYS="key1:role:TLP:NAME,key2:role:TLP"`` and sent as
``Authorization: Bearer KEY``. NAME (optional) is who the key belongs to, recorded with every write the
caller makes; without one a key is named by its fingerprint (``k-`` and 10 hex digits of its SHA-256).
No key or an unknown key is HTTP 401 before anything runs; a known key whose role lacks a right gets a
typed error (HTTP 403 on plain routes, a GraphQL error with code ``FORBIDDEN`` inside GraphQL).
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import re
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from graph_model.errors import CrimegraphError
from graph_model.provenance import TLP


class Role(enum.IntEnum):
    """Roles in increasing power; each may do everything the ones below it may."""

    VIEWER = 1
    ANALYST = 2
    LOADER = 3
    ADMIN = 4

    @classmethod
    def parse(cls, value: str | Role) -> Role:
        if isinstance(value, Role):
            return value
        try:
            return cls[value.strip().upper()]
        except KeyError:
            raise ValueError(
                f"unknown role {value!r} (use {', '.join(r.name.lower() for r in cls)})"
            ) from None


# The rights the API checks, and the least role holding each.
RIGHTS: dict[str, Role] = {
    "read": Role.VIEWER,  # node, search, neighbourhood, timeline, schema, stats, views
    "analyse": Role.ANALYST,  # paths, associates, pivots, money flow, communities, centrality, disruption
    "export": Role.ANALYST,
    "ingest": Role.LOADER,
    "admin": Role.ADMIN,
}


class Forbidden(CrimegraphError):
    """The caller's role does not hold the right an operation needs."""

    status = 403


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated caller. ``key_id`` names the key in logs without revealing it; ``name`` is who
    is asking (the key's NAME, else its ``key_id``), recorded with every write."""

    key_id: str
    role: Role
    clearance: TLP
    name: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.key_id)

    def can(self, role_or_right: str | Role) -> bool:
        return self.role >= least_role(role_or_right)

    def check(self, role_or_right: str | Role) -> None:
        """Forbidden unless this caller holds ``role_or_right``."""
        if not self.can(role_or_right):
            needed = least_role(role_or_right).name.lower()
            what = role_or_right if isinstance(role_or_right, str) else needed
            raise Forbidden(f"role {self.role.name.lower()} may not {what} (needs {needed} or above)")


def least_role(role_or_right: str | Role) -> Role:
    """The least role holding a right (``"ingest"``) or named by a role (``"analyst"``, ``Role.ADMIN``)."""
    if isinstance(role_or_right, Role):
        return role_or_right
    if role_or_right in RIGHTS:
        return RIGHTS[role_or_right]
    return Role.parse(role_or_right)


def key_id(key: str) -> str:
    """A short fingerprint of a key for logs and reports."""
    return "k-" + hashlib.sha256(key.encode()).hexdigest()[:10]


# A key's NAME: who it belongs to, as recorded with writes and shown in logs.
_NAME = re.compile(r"^[\w.@+-][\w .@+-]{0,63}$")
KEY_RULES = (
    'entries "KEY:ROLE:TLP" or "KEY:ROLE:TLP:NAME" separated by commas; KEY at least 16 characters '
    "without ',' or ':'; ROLE viewer, analyst, loader or admin; TLP CLEAR, GREEN, AMBER, AMBER+STRICT "
    "or RED; NAME up to 64 letters, digits, spaces and . _ @ + -"
)


def _is(parse: Callable[[str], object], text: str) -> bool:
    try:
        parse(text)
    except ValueError:
        return False
    return True


def _split_entry(item: str) -> tuple[str, str, str, str, bool]:
    """KEY, ROLE, TLP, NAME and whether a NAME was given, from ``KEY:ROLE:TLP[:NAME]``. A KEY may hold
    ``:`` (keys configured before names existed): the entry has a NAME when the third- and second-last
    parts are a role and a TLP; otherwise the last two are."""
    parts = item.split(":")
    if len(parts) >= 4 and _is(Role.parse, parts[-3]) and _is(TLP.parse, parts[-2]):
        return ":".join(parts[:-3]), parts[-3], parts[-2], parts[-1].strip(), True
    if len(parts) >= 3:
        return ":".join(parts[:-2]), parts[-2], parts[-1], "", False
    return "", "", "", "", False


class KeyRing:
    """The configured keys, looked up in constant time (every key is compared, digests of equal length)."""

    def __init__(self, entries: Sequence[tuple[str, Role, TLP] | tuple[str, Role, TLP, str]] = ()) -> None:
        self._entries = [
            (
                hashlib.sha256(entry[0].encode()).digest(),
                Caller(key_id(entry[0]), entry[1], entry[2], entry[3] if len(entry) > 3 else ""),
            )
            for entry in entries
        ]

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        """Keys from ``"KEY:ROLE:TLP[:NAME],..."``; ValueError naming the bad entry by position (never
        quoting it: it holds a key)."""
        entries: list[tuple[str, Role, TLP, str]] = []
        seen: dict[str, int] = {}
        for position, item in enumerate((p.strip() for p in text.split(",")), start=1):
            if not item:
                continue
            key, role, tlp, name, named = _split_entry(item)
            if not key:
                raise ValueError(f"API key {position}: expected KEY:ROLE:TLP or KEY:ROLE:TLP:NAME")
            if len(key) < 16:
                raise ValueError(f"API key {position}: use at least 16 characters")
            try:
                parsed = (Role.parse(role), TLP.parse(tlp))
            except ValueError as exc:
                raise ValueError(f"API key {position}: {exc}") from None
            if named and not _NAME.match(name):
                raise ValueError(
                    f"API key {position}: the name must be 1-64 letters, digits, spaces or . _ @ + -"
                )
            if key in seen:
                raise ValueError(f"API key {position}: the same key as API key {seen[key]}")
            seen[key] = position
            entries.append((key, *parsed, name))
        return cls(entries)

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, key: str) -> Caller | None:
        digest = hashlib.sha256(key.encode()).digest()
        found: Caller | None = None
        for stored, caller in self._entries:
            if hmac.compare_digest(stored, digest):
                found = caller
        return found

    def by_id(self, key_id: str) -> Caller | None:
        """The caller of the key with this fingerprint (a browser session names its key so)."""
        return next((caller for _, caller in self._entries if caller.key_id == key_id), None)


def generate_key() -> str:
    """A fresh random key (e.g. the local key ``crimegraph demo`` prints)."""
    return secrets.token_urlsafe(24)


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED, detail=message, headers={"WWW-Authenticate": "Bearer"}
    )


def _basic_password(token: str) -> str:
    """The password of HTTP Basic credentials (``user:password``, base64), '' when malformed."""
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""
    return decoded.partition(":")[2]


def caller_of(request: Request) -> Caller:
    """The caller behind a request's ``Authorization: Bearer KEY`` - or HTTP Basic with the key as the
    password, or ``Token KEY``, as TAXII clients send it; HTTP 401 when none or unknown."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "basic":
        scheme, token = "bearer", _basic_password(token)
    if scheme.lower() == "token":  # taxii2-client's TokenAuth sends the key so
        scheme = "bearer"
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("send an API key as 'Authorization: Bearer KEY' or as the HTTP Basic password")
    keyring: KeyRing = request.app.state.keyring
    caller = keyring.lookup(token.strip())
    if caller is None:
        raise _unauthorized("unknown API key")
    return caller


async def current_caller(request: Request) -> Caller:
    """FastAPI dependency: the authenticated :class:`Caller` - by ``Authorization: Bearer KEY``, else by
    a signed-in browser's session cookie (:mod:`backend.api.sessions`) - or HTTP 401 (303 to the sign-in
    form for a browser asking for a page)."""
    if request.headers.get("authorization"):
        caller = caller_of(request)
    else:
        from backend.api.sessions import browser_caller  # sessions build on this module

        caller = await browser_caller(request)
    request.state.caller = caller
    return caller


def require(role_or_right: str | Role) -> Callable[..., Awaitable[Caller]]:
    """FastAPI dependency factory: the caller if its role holds ``role_or_right``, else HTTP 403.

    ``Depends(require("analyse"))`` or ``Depends(require(Role.LOADER))``.
    """
    least_role(role_or_right)  # fail at import time on a typo

    async def dependency(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
        try:
            caller.check(role_or_right)
        except Forbidden as exc:
            raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail=str(exc)) from None
        return caller

    return dependency


CallerDep = Annotated[Caller, Depends(current_caller)]

__all__ = [
    "RIGHTS",
    "Caller",
    "CallerDep",
    "KEY_RULES",
    "Forbidden",
    "KeyRing",
    "Role",
    "current_caller",
    "generate_key",
    "require",
]
