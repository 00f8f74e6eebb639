"""Browser sessions in the store's state: signed cookies, server-side expiry, ended with the key."""

from __future__ import annotations

import time
from pathlib import Path

from backend.api.auth import KeyRing
from backend.api.sessions import (
    NAMESPACE,
    Sessions,
    recent_views,
    session_caller,
    throttled,
    wrong_try,
)
from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore

KEY = "session-test-key-0123456789"


def test_sessions_expire_on_the_server_and_end_with_their_key(tmp_path: Path, model: Model) -> None:
    store = EmbeddedStore(tmp_path / "graph.db", model)
    try:
        keyring = KeyRing.parse(f"{KEY}:viewer:GREEN:alice")
        caller = keyring.lookup(KEY)
        assert caller is not None
        sessions = Sessions.from_settings("", f"{KEY}:viewer:GREEN:alice", hours=1.0 / 3600)  # one second
        session = sessions.open(store, caller)
        cookie = sessions.cookie(session.id)
        assert KEY not in cookie and session.id in cookie
        # The store keys it by a digest: what it holds is not a usable session id.
        assert [key for key, _ in store.list_state(NAMESPACE)] != [session.id]
        read = sessions.read(store, cookie)
        assert read is not None and session_caller(keyring, read) == caller
        # Views opened are listed on the start page only at or below the clearance of the moment.
        sessions.remember(store, read, "/view/a", "Neighbourhood of A", TLP.RED)
        read = sessions.read(store, cookie)
        assert read is not None
        sessions.remember(store, read, "/view/b", "Neighbourhood of B", TLP.GREEN)
        read = sessions.read(store, cookie)
        assert recent_views(read, TLP.RED) == [
            ("/view/b", "Neighbourhood of B"),
            ("/view/a", "Neighbourhood of A"),
        ]
        assert recent_views(read, TLP.GREEN) == [("/view/b", "Neighbourhood of B")]
        # Another secret (another deployment, a forged signature): not a session.
        assert Sessions(b"other secret", 1.0).read(store, cookie) is None
        assert sessions.read(store, session.id + ".0123") is None
        time.sleep(1.2)
        assert sessions.read(store, cookie) is None
        assert store.list_state(NAMESPACE) == []  # an expired session is deleted when next seen
        # A key removed from the settings ends its sessions.
        other = Sessions.from_settings("secret-0123456789", "", hours=1.0)
        live = other.open(store, caller)
        found = other.read(store, other.cookie(live.id))
        assert found is not None and session_caller(KeyRing(), found) is None
        assert other.end(store, other.cookie(live.id)) and other.read(store, other.cookie(live.id)) is None
        # Wrong tries are counted per address, in the store.
        assert not throttled(store, "10.0.0.1")
        for _ in range(10):
            wrong_try(store, "10.0.0.1")
        assert throttled(store, "10.0.0.1") and not throttled(store, "10.0.0.2")
    finally:
        store.close()
