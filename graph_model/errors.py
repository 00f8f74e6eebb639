"""The exceptions callers catch. Each carries the HTTP status it maps to at the edges."""

from __future__ import annotations


class CrimegraphError(Exception):
    """Base of every expected failure; the CLI prints it on one line and exits 1."""

    status = 400


class SchemaError(CrimegraphError):
    """The schema YAML is inconsistent (unknown range, duplicate name, bad endpoint)."""

    status = 500


class ValidationError(CrimegraphError):
    """A node or edge does not fit the schema. ``record`` names the offending record."""

    def __init__(self, message: str, record: str | None = None) -> None:
        self.record = record
        super().__init__(f"{record}: {message}" if record else message)


class StoreError(CrimegraphError):
    """The store cannot be opened or reached."""

    status = 503


class NotFound(CrimegraphError):
    """The requested entity does not exist or is above the caller's clearance."""

    status = 404


class InvalidArgument(CrimegraphError):
    """A caller's argument is malformed or names something the schema does not have."""

    status = 400


class LimitExceeded(CrimegraphError):
    """A request asks for more than a configured limit allows (depth, path length, page size, time)."""

    status = 400
