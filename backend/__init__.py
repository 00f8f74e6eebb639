"""The entry points: CLI, and (later) the GraphQL API and views. The only place that reads settings."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("crimegraph")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+local"
