"""Settings from the environment and ``.env``; the one place crimegraph reads configuration.

Flat settings keep their historical names (``CRIMEGRAPH_STORE``, ``CRIMEGRAPH_API_KEYS``); the API's
knobs are nested under ``api`` and set as ``CRIMEGRAPH_API__MAX_DEPTH=12`` (``env_nested_delimiter``).
"""

from __future__ import annotations

import getpass

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from graph_model.model import Model, default_model
from graph_model.provenance import TLP
from graph_model.store import GraphStore, open_store

DEFAULT_STORE = "embedded:./crimegraph.db"
# Neo4j driver settings for the API: give up on an unreachable server fast (the API answers 503 and
# tries again on the next request) rather than retrying a read for the driver's default 30 s.
SERVING_DRIVER = {
    "connection_timeout": 5.0,
    "max_transaction_retry_time": 1.0,
    "connection_acquisition_timeout": 10.0,
}


class ApiSettings(BaseModel):
    """Limits and switches of the GraphQL API (``CRIMEGRAPH_API__<NAME>``)."""

    graphiql: bool = Field(True, description="Serve GraphiQL (from assets inside the package) at /graphql")
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed by CORS; empty (the default) turns CORS off"
    )
    max_depth: int = Field(12, ge=1, description="Deepest nesting of a GraphQL query")
    max_aliases: int = Field(30, ge=1, description="Most aliases in one GraphQL query")
    max_tokens: int = Field(2000, ge=10, description="Most tokens in one GraphQL document")
    max_page: int = Field(200, ge=1, description="Largest page (first) of a connection")
    max_neighbourhood: int = Field(2000, ge=1, description="Most nodes one neighbourhood may return")
    max_path_length: int = Field(8, ge=1, description="Longest path (edges) paths may look for")
    max_paths: int = Field(20, ge=1, description="Most paths (k) one request may ask for")
    max_scope: int = Field(20000, ge=1, description="Most nodes a scope (communities, centrality) may hold")
    time_budget: float = Field(20.0, gt=0, description="Seconds one GraphQL request may run")
    neo4j_timeout: float = Field(15.0, gt=0, description="Seconds one Neo4j transaction may run")
    max_request: int = Field(
        2_000_000, ge=1, description="Largest request body in bytes (queries and every other route)"
    )
    max_payload: int = Field(
        20_000_000, ge=1, description="Largest ingest request (a mutation's body) and payload in bytes"
    )
    taxii_default_tlp: str = Field(
        "AMBER", description="TLP marking of objects posted to a TAXII collection without one of their own"
    )
    taxii_time_budget: float = Field(
        300.0,
        gt=0,
        description="Seconds one TAXII request may run (the first read of a collection exports it)",
    )

    @field_validator("taxii_default_tlp")
    @classmethod
    def _taxii_tlp(cls, value: str) -> str:
        return TLP.parse(value).label


def os_user() -> str:
    """The operating system's name for the user running crimegraph (``unknown`` when it has none)."""
    try:
        return getpass.getuser() or "unknown"
    except (OSError, KeyError):
        return "unknown"


class PackageSettings(BaseModel):
    """The requester's point of contact and defaults of takedown packages (``CRIMEGRAPH_PACKAGE__<NAME>``)."""

    unit: str = Field(
        "the requesting cybercrime unit", description="The requesting unit, as receivers see it"
    )
    email: str | None = Field(None, description="Where receivers reply (point of contact)")
    phone: str | None = Field(None, description="The point of contact's phone number")
    country: str | None = Field(None, description="The requesting unit's country (ISO 3166 code)")
    reference: str | None = Field(None, description="The case reference receivers quote")
    legal_basis: str | None = Field(None, description="The legal basis of the requests, in words")
    nondisclosure_basis: str | None = Field(
        None, description="The legal basis for asking providers not to tell their customer; none: no such ask"
    )
    offence: str | None = Field(None, description="The offence under investigation (preservation requests)")
    language: str = Field("en", description="Language of reports and cover notes (en, fr)")


class Settings(BaseSettings):
    """``CRIMEGRAPH_STORE`` picks the store; Neo4j credentials come from ``NEO4J_USER``/``NEO4J_PASSWORD``."""

    model_config = SettingsConfigDict(
        env_prefix="CRIMEGRAPH_",
        env_file=".env",
        env_nested_delimiter="__",
        extra="ignore",
        env_ignore_empty=True,
    )

    store: str = Field(DEFAULT_STORE, description="embedded:PATH or a bolt:// / neo4j:// URI")
    neo4j_user: str = Field("neo4j", validation_alias="NEO4J_USER")
    neo4j_password: str = Field("", validation_alias="NEO4J_PASSWORD")
    neo4j_database: str = Field("neo4j", validation_alias="NEO4J_DATABASE")
    api_keys: str = Field(
        "",
        description='API keys "KEY:ROLE:TLP:NAME,..." (NAME optional; roles viewer, analyst, loader, admin)',
        repr=False,
    )
    clearance: str = Field(
        "RED", description="TLP clearance of CLI reads when --clearance is not given (CLEAR ... RED)"
    )
    session_secret: str = Field(
        "",
        description="Secret that signs browser session cookies (default: derived from the API keys)",
        repr=False,
    )
    session_hours: float = Field(8.0, gt=0, description="Hours a browser session lasts")
    api: ApiSettings = Field(default_factory=ApiSettings)
    analyst: str = Field(
        default_factory=os_user,
        description="Who runs the CLI, recorded with every write it makes (default: the OS user)",
    )
    package: PackageSettings = Field(default_factory=PackageSettings)

    def open_store(
        self, model: Model | None = None, location: str | None = None, *, serving: bool = False
    ) -> GraphStore:
        """The configured store. ``serving``: for the API, where Neo4j being away should answer 503 within
        seconds instead of retrying each read for half a minute."""
        return open_store(
            location or self.store,
            model or default_model(),
            user=self.neo4j_user,
            password=self.neo4j_password,
            database=self.neo4j_database,
            driver_config=SERVING_DRIVER if serving else None,
        )
