"""timeline orders by the dates the caller sees, also for a link whose sources sit at several markings."""

from __future__ import annotations

from graph_model.entities import Edge, make_node
from graph_model.model import Model
from graph_model.provenance import TLP, Provenance
from graph_model.store import GraphStore
from queries.timeline import timeline, timeline_page


def _prov(record: str, when: str, tlp: TLP = TLP.CLEAR) -> Provenance:
    return Provenance.of("timeline-test", record, first_seen=when, last_seen=when, tlp=tlp)


def test_order_follows_the_callers_dates(store: GraphStore, model: Model) -> None:
    def actor(name: str) -> object:
        return make_node(model, "Actor", "handle", name, prov=_prov(name, "2018-01-01"))

    hub, a, b = actor("timehub"), actor("timea"), actor("timeb")
    store.upsert([hub, a, b], [])  # type: ignore[list-item]
    early_secret = Edge(
        "ASSOCIATES_WITH", "handle:timehub", "handle:timea", _prov("red", "2019-01-01", TLP.RED)
    )
    late_public = Edge("ASSOCIATES_WITH", "handle:timehub", "handle:timea", _prov("clear", "2021-01-01"))
    middle = Edge("ASSOCIATES_WITH", "handle:timehub", "handle:timeb", _prov("mid", "2020-01-01"))
    store.upsert([], [early_secret])
    store.upsert([], [late_public, middle])
    clear = [e.other.name for e in timeline(store, TLP.CLEAR, "handle:timehub")]
    red = [e.other.name for e in timeline(store, TLP.RED, "handle:timehub")]
    assert clear == ["timeb", "timea"]  # the public source saw timea's link only in 2021
    assert red == ["timea", "timeb"]
    page = timeline_page(store, TLP.CLEAR, "handle:timehub", offset=1, limit=1)
    assert page.total == 2 and [e.other.name for e in page.entries] == ["timea"]
