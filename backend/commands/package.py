"""``crimegraph package create|verify``: takedown requests for the parties that can act, and their check.

``crimegraph package PLAN.json -o DIR`` (the form before ``create`` existed) still works: a first argument
that is no subcommand is read as ``create``'s plan.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from backend.commands.export import ClearanceOpt, ForceOpt
from backend.console import analyst, app, console, opened_store, out, parse_tlp, run, tell
from backend.export.package import Requester, takedown_package, verify, write_package
from backend.export.package.render import languages
from backend.settings import Settings
from graph_model.errors import InvalidArgument
from graph_model.words import counted, plural
from queries.results import Plan


class _CreateByDefault(TyperGroup):
    """A group whose first argument, when it names no subcommand, is the plan of ``create``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # ctx: typer's vendored click Context
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["create", *args]
        return super().parse_args(ctx, args)


package_app = typer.Typer(
    cls=_CreateByDefault,
    no_args_is_help=True,
    help="Takedown packages: per party that can act, its requests, evidence and a manifest to verify them.",
)
app.add_typer(package_app, name="package")


def read_plan(plan_file: Path) -> Plan:
    try:
        return Plan.from_dict(json.loads(plan_file.read_text("utf-8")))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidArgument(f"{plan_file}: not a plan's JSON ({exc})") from None
    except OSError as exc:
        raise InvalidArgument(f"{plan_file}: {exc.strerror or exc}") from None


def created_at() -> datetime | None:
    """The time a package says it was made: ``SOURCE_DATE_EPOCH`` (whole seconds since 1970-01-01 UTC, the
    reproducible-builds convention) when set, so the same graph and plan give the same files; else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return None
    if not epoch.isdigit():
        raise InvalidArgument(f"SOURCE_DATE_EPOCH is whole seconds since 1970-01-01 UTC, got {epoch!r}")
    return datetime.fromtimestamp(int(epoch), UTC)


@package_app.command("create")
def create(
    plan_file: Annotated[Path, typer.Argument(metavar="PLAN.json", help="A takedown plan (its JSON).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder to write the packages into.")],
    clearance: ClearanceOpt = "CLEAR",
    language: Annotated[
        str | None,
        typer.Option(
            help="Language of reports and cover notes (en, fr); default CRIMEGRAPH_PACKAGE__LANGUAGE."
        ),
    ] = None,
    force: ForceOpt = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the index as JSON.")] = False,
) -> None:
    """Turn a takedown plan into one package per party that can act: requests, evidence, XARF, STIX.

    With SOURCE_DATE_EPOCH set (seconds since 1970) the package says it was made then: the same graph and
    plan give the same files.
    """

    def body() -> None:
        level = parse_tlp(clearance)
        settings = Settings()
        chosen = language or settings.package.language
        if chosen not in languages():
            raise InvalidArgument(f"no package language {chosen!r}; known: {', '.join(languages())}")
        plan = read_plan(plan_file)
        created = created_at()
        with opened_store() as store, console.status("building takedown packages"):
            package = takedown_package(
                store, level, plan, requester=Requester.of(analyst(), settings.package), created=created
            )
            written = write_package(package, output, force=force, language=chosen)
        tell(written.notes)
        index: dict[str, Any] = json.loads((output / "index.json").read_text("utf-8"))
        if as_json:
            print(json.dumps(index))
            return
        requests = sum(len(p.requests) for p in package.parties)
        out.print(
            f"{counted(requests, 'request')} to {counted(len(package.parties), 'party', 'parties')} at "
            f"clearance {level.label} in {output}",
            highlight=False,
        )
        for entry in index["parties"]:
            out.print(f"  {entry['title']}: {len(entry['targets'])} - {entry['folder']}", highlight=False)

    run(body)


@package_app.command("verify")
def verify_command(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="A package folder (with manifest.json).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Check every file of a package against its manifest (SHA-256): exit 1 when anything changed."""

    def body() -> bool:
        result = verify(folder)
        if as_json:
            print(json.dumps(result.as_dict()))
        elif result.ok:
            out.print(
                f"{folder}: {counted(result.checked, 'file')} {plural(result.checked, 'matches', 'match')} "
                f"the manifest (made {result.about.get('created')} by "
                f"{result.about.get('requester')}, data version {result.about.get('data_version')})",
                highlight=False,
            )
        else:
            for label, names in (
                ("changed", result.changed),
                ("missing", result.missing),
                ("not listed", result.unlisted),
            ):
                for name in names:
                    console.print(f"{label}: {name}", highlight=False, markup=False)
            console.print(f"{folder}: does not match its manifest", highlight=False, markup=False)
        return result.ok

    if not run(body):
        raise typer.Exit(1)
