"""Source formats mapped onto the schema; loaders never write Cypher, they yield records for ingest()."""

from loaders.ingest import IngestSummary, ingest
from loaders.records import LoadContext, Record, SourceError, location
from loaders.registry import FORMATS, reader

__all__ = ["FORMATS", "IngestSummary", "LoadContext", "Record", "SourceError", "ingest", "location", "reader"]
