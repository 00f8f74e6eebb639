"""Fuzzed intake: STIX content made by ``stix2-generator`` (seeded) loads without a crash, and every
record that is not loaded says why.

CI loads 3,000 generated objects (about 20 s); ``CRIMEGRAPH_FUZZ_OBJECTS`` and ``CRIMEGRAPH_FUZZ_SEED`` run
more or other ones.
"""

from __future__ import annotations

import io
import json
import os
import random
from pathlib import Path
from typing import Any

import faker
import stix2generator
from stix2generator.generation.stix_generator import Config

from graph_model.check import check_store
from graph_model.store.embedded import EmbeddedStore
from loaders import stix
from loaders.ingest import ingest
from loaders.records import LoadContext

OBJECTS = int(os.environ.get("CRIMEGRAPH_FUZZ_OBJECTS", "3000"))
SEED = int(os.environ.get("CRIMEGRAPH_FUZZ_SEED", "20261206"))
# Every type the generator makes on its own; relationships and sightings bring their ends (SCOs too).
TYPES = (
    "attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident", "indicator",
    "infrastructure", "intrusion-set", "location", "malware", "malware-analysis", "note", "observed-data",
    "opinion", "report", "threat-actor", "tool", "vulnerability", "relationship", "sighting",
)  # fmt: skip


def generated(count: int, seed: int) -> list[dict[str, Any]]:
    random.seed(seed)
    faker.Faker.seed(seed)
    generator = stix2generator.create_stix_generator(stix_generator_config=Config(parse=False))
    objects: dict[str, dict[str, Any]] = {}
    while len(objects) < count:
        for obj in generator.generate(random.choice(TYPES)).values():
            plain = obj if isinstance(obj, dict) else json.loads(obj.serialize())
            objects[plain["id"]] = plain
    return list(objects.values())


def test_generated_stix_loads_without_a_crash_and_every_reject_has_a_reason(
    embedded_store: EmbeddedStore, tmp_path: Path
) -> None:
    objects = generated(OBJECTS, SEED)
    path = tmp_path / "generated.json"
    path.write_text(json.dumps({"type": "bundle", "id": "bundle--fuzz", "objects": objects}))
    rejects = io.StringIO()
    summary = ingest(
        embedded_store, stix.read(path, LoadContext(embedded_store.model, "fuzz")), rejects=rejects
    )
    assert summary.read == len(objects) >= OBJECTS
    lines = [json.loads(line) for line in rejects.getvalue().splitlines()]
    assert len(lines) == summary.rejected + summary.skipped
    for line in lines:
        assert line["reason"].strip() and line["location"].startswith("generated.json"), line
    # Most of it loads: what is refused is refused for what it is (e.g. a negative AS number), not in bulk.
    assert summary.store.nodes_new > len(objects) // 3
    assert summary.rejected < len(objects) // 50, summary.rejected_by_reason
    assert check_store(embedded_store).violations == 0
