"""``crimegraph serve`` and ``crimegraph demo``: the GraphQL API under uvicorn."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from backend.console import analyst, app, console, entity_table, new_embedded_file, out, run, state
from backend.settings import Settings
from graph_model.provenance import TLP
from graph_model.words import counted
from loaders import IngestSummary, LoadContext, ingest, reader

HostOpt = Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 for every interface).")]
PortOpt = Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")]


WorkersOpt = Annotated[
    int,
    typer.Option(
        min=0,
        help="Server processes sharing the port (0: one per CPU, at most 4). Each opens the store itself; "
        "an embedded store's readers each keep their own index in memory.",
    ),
]
MAX_AUTO_WORKERS = 4


def workers_for(asked: int) -> int:
    """The processes ``--workers`` asks for: ``asked``, or for 0 one per CPU (at most MAX_AUTO_WORKERS)."""
    return asked if asked > 0 else max(1, min(os.cpu_count() or 1, MAX_AUTO_WORKERS))


def _serve(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    from backend.api.app import create_app
    from backend.api.server import config

    if workers <= 1:
        uvicorn.Server(config(create_app(settings, serving=True), host, port)).run()
        return
    # Each worker process builds the app from the environment (create_app reads Settings()): hand it
    # the store this command was given.
    os.environ["CRIMEGRAPH_STORE"] = settings.store
    uvicorn.run(
        "backend.api.app:serving_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=False,
        server_header=False,
    )


def _local_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return f"http://{shown}:{port}"


@app.command()
def serve(host: HostOpt = "127.0.0.1", port: PortOpt = 8000, workers: WorkersOpt = 0) -> None:
    """Serve the GraphQL API at /graphql (GraphiQL at /graphiql) for the configured store and keys."""

    def body() -> None:
        from backend.api.auth import KeyRing

        settings = Settings()
        if state.store_location:
            settings = settings.model_copy(update={"store": state.store_location})
        try:
            keys = len(KeyRing.parse(settings.api_keys))
        except ValueError as exc:
            raise typer.BadParameter(f"CRIMEGRAPH_API_KEYS: {exc}") from None
        if not keys:
            console.print(
                "[yellow]warning:[/yellow] no API keys configured (CRIMEGRAPH_API_KEYS=KEY:ROLE:TLP,...); "
                "every request will get 401"
            )
        fresh = new_embedded_file()
        if fresh is not None:  # a server may be filled through its API, so it starts; but say so
            console.print(
                f"note: no store at {fresh} yet: serving a new, empty store (fill it with crimegraph load, "
                "or the API's ingest mutation with a loader key)",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
        processes = workers_for(workers)
        out.print(
            f"crimegraph API on {_local_url(host, port)}/graphql ({counted(keys, 'key')}, store "
            f"{settings.store}, {counted(processes, 'worker')})"
        )
        _serve(settings, host, port, processes)

    run(body)


@app.command()
def demo(
    path: Annotated[Path, typer.Option(help="Embedded store file for the demo graph.")] = Path(
        "crimegraph-demo.db"
    ),
    actors: Annotated[int, typer.Option(min=50, help="Size of the synthetic ecosystem.")] = 300,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    serve_api: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the API on the demo graph once built.")
    ] = True,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
) -> None:
    """Build a demo graph (a synthetic ecosystem) on the embedded store, then serve the API on it.

    Prints the URL and an API key: the configured CRIMEGRAPH_API_KEYS, or a generated local admin key.
    """
    from backend.api.auth import generate_key
    from graph_model.model import default_model
    from graph_model.store.embedded import EmbeddedStore
    from graph_model.writes import now_iso, record_write
    from loaders.generate import generate as write_ecosystem

    def body() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            with console.status("generating a synthetic ecosystem"):
                report = write_ecosystem(Path(tmp), actors, seed, routing=True, identities="standard")
            store = EmbeddedStore(path, default_model())
            try:
                read = reader("csv")
                total = IngestSummary()
                started = now_iso()
                for table in report.tables:
                    with console.status(f"loading {table.name}"):
                        total.add(ingest(store, read(table, LoadContext(store.model, "demo"))))
                details = {"actors": actors, "seed": seed, "counts": total.as_json()}
                record_write(store, analyst=analyst(), action="demo", started=started, details=details)
                counts = store.stats(clearance=TLP.RED).as_dict()
            finally:
                store.close()
        out.print(entity_table(total))
        out.print(
            f"demo graph in {path}: {counted(counts['total_nodes'], 'node')}, "
            f"{counted(counts['total_edges'], 'edge')} ({counted(total.rejected, 'rejected record')})"
        )
        if not serve_api:
            out.print(f"next: crimegraph --store embedded:{path} stats")
            return
        settings = Settings().model_copy(update={"store": f"embedded:{path}"})
        if settings.api_keys.strip():
            key_note = "key: one of CRIMEGRAPH_API_KEYS (the part before the first ':')"
            bearer = "<one of your CRIMEGRAPH_API_KEYS, the part before the first ':'>"
        else:
            key = generate_key()
            settings = settings.model_copy(update={"api_keys": f"{key}:admin:RED"})
            key_note = f"key: {key}  (a local admin key with RED clearance, valid while this runs)"
            bearer = key
        url = _local_url(host, port)
        out.print(f"API: {url}/graphql   GraphiQL: {url}/graphiql", highlight=False)
        out.print(key_note, highlight=False, soft_wrap=True)
        out.print(
            f"try: curl -s {url}/graphql -H 'Authorization: Bearer {bearer}' "
            """-H 'Content-Type: application/json' -d '{"query": "{ stats { totalNodes totalEdges } }"}'""",
            highlight=False,
            soft_wrap=True,
            markup=False,
        )
        out.print(
            f"to make the demo's store the default in another terminal: "
            f"export CRIMEGRAPH_STORE=embedded:{path.resolve()}",
            highlight=False,
            soft_wrap=True,
            markup=False,
        )
        _serve(settings, host, port)

    run(body)
