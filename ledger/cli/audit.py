"""`ledger audit ...`: verify the hash chain, sign and export checkpoints."""

import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.common import DataDir, open_ledger

audit_app = typer.Typer(help="Audit and integrity: the hash chain over the event store and "
                             "its signed checkpoints.", no_args_is_help=True)


@audit_app.command()
def verify(
    data_dir: DataDir = None,
    from_checkpoint: Annotated[bool, typer.Option(
        "--from-checkpoint", help="Start from the newest checkpoint signed by the ledger's key "
        "instead of position 0 (faster; trusts the history it covers)")] = False,
    checkpoints: Annotated[list[Path] | None, typer.Option(
        "--checkpoints", exists=True, dir_okay=False,
        help="A copy of GET /v1/audit/checkpoints held outside the ledger; its checkpoints "
        "are checked too (repeat for several)")] = None,
) -> None:
    """Recompute the hash chain and check it against every signed checkpoint; prints the
    report as JSON. Exit status 0 only when the store is intact, 1 otherwise."""
    from ledger.audit.checkpoints import load
    from ledger.audit.progress import bar

    external = load(json.loads(path.read_text()) for path in checkpoints or [])
    with open_ledger(data_dir) as ledger, ExitStack() as stack:
        state: dict = {}

        def on_start(start: int, top: int) -> None:
            state["start"] = start
            state["update"] = stack.enter_context(bar("Verifying the hash chain", top - start))

        def advance(position: int) -> None:
            state["update"](position - state["start"])

        report = ledger.audit.verify(from_checkpoint=from_checkpoint, external=external,
                                     on_start=on_start, advance=advance)
    typer.echo(json.dumps(report.as_json(), indent=2))
    rate = report.events_checked / report.seconds if report.seconds else 0
    if report.ok:
        typer.echo(f"intact: {report.events_checked:,} events checked ({rate:,.0f}/s), "
                   f"{report.checkpoints_checked} checkpoints, head at "
                   f"{report.head.position}", err=True)
        return
    typer.echo(f"NOT INTACT: first bad position {report.first_bad_position}: "
               f"{report.as_json()['problem']}", err=True)
    raise typer.Exit(1)


@audit_app.command()
def checkpoint(data_dir: DataDir = None) -> None:
    """Sign the chain's head now with the ledger's key and print the checkpoint as JSON."""
    with open_ledger(data_dir) as ledger:
        signed = ledger.audit.checkpoint()
    typer.echo(json.dumps(signed.as_json(), indent=2))


@audit_app.command()
def checkpoints(data_dir: DataDir = None) -> None:
    """Print every signed checkpoint with the ledger's public keys (what GET
    /v1/audit/checkpoints serves): a copy to keep outside the ledger."""
    with open_ledger(data_dir) as ledger:
        document = ledger.audit.checkpoints.document()
    json.dump(document, sys.stdout, indent=2)
    sys.stdout.write("\n")
