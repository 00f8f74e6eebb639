"""Same-person candidates: which handles are one person, scored with the evidence (docs/identify.md)."""
