"""`ledger events ...`: the event catalogue as published documents."""

from pathlib import Path
from typing import Annotated

import typer

events_app = typer.Typer(help="The event catalogue: every event type, its topics, version and "
                         "payload schema.", no_args_is_help=True)

Folder = Annotated[Path, typer.Option(help="Where the schemas go (the repository's docs/events)")]


@events_app.command("schemas")
def schemas(out: Folder = Path("docs/events")) -> None:
    """Write a JSON Schema (draft 2020-12) per event type, and catalogue.json listing them."""
    from ledger import event_schemas

    for path in event_schemas.write(out):
        typer.echo(path)
