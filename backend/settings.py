"""Settings from the environment and ``.env``; the one place crimegraph reads configuration."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from graph_model.model import Model, default_model
from graph_model.store import GraphStore, open_store

DEFAULT_STORE = "embedded:./crimegraph.db"


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

    def open_store(self, model: Model | None = None, location: str | None = None) -> GraphStore:
        return open_store(
            location or self.store,
            model or default_model(),
            user=self.neo4j_user,
            password=self.neo4j_password,
            database=self.neo4j_database,
        )
