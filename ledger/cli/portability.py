"""`ledger keys ...` and `ledger standards ...`: signing keys and the offline standards cache."""

from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.common import DataDir, open_ledger

keys_app = typer.Typer(help="Signing keys (Ed25519, did:key) of providers and of the ledger.",
                       no_args_is_help=True)
standards_app = typer.Typer(help="The offline cache of JSON-LD contexts, schemas, shapes and "
                            "XSDs that exports are signed and validated with.",
                            no_args_is_help=True)

Owner = Annotated[str, typer.Argument(help='A provider id, or "ledger" for the ledger\'s own key')]


@keys_app.command("rotate")
def rotate(owner: Owner, data_dir: DataDir = None) -> None:
    """Retire OWNER's current key and make a new one; exports signed before stay verifiable
    (the old public key stays listed). Prints the new verification method."""
    with open_ledger(data_dir) as ledger:
        key = ledger.keys.rotate(owner)
    typer.echo(key.verification_method)


@keys_app.command("list")
def list_keys(owner: Owner, data_dir: DataDir = None) -> None:
    """OWNER's keys, oldest first: verification method, created, retired (or "current")."""
    with open_ledger(data_dir) as ledger:
        keys = ledger.keys.public_keys(owner)
    if not keys:
        typer.echo(f"{owner} has no signing key yet (one is made when it first signs)", err=True)
    for key in keys:
        typer.echo(f"{key['id']}\t{key['created']}\t{key['retired'] or 'current'}")


@standards_app.command("pull")
def pull(
    directory: Annotated[Path | None, typer.Option(
        "--dir", help="Where to put the files (default: LEDGER_STANDARDS_DIR, else "
        "<data dir>/standards)")] = None,
    mirror: Annotated[str | None, typer.Option(
        help="Download from this URL instead of the official sources; it must serve the "
        "cache's layout (contexts/..., schemas/...)")] = None,
) -> None:
    """Download the standards artifacts from their official URLs into the cache (needs
    internet access once; signing and validation never fetch anything)."""
    from rich.progress import Progress

    from ledger import standards
    from ledger.config import Settings

    target = directory or Settings().standards_path
    artifacts = standards.manifest()
    with Progress(transient=False) as progress:
        task = progress.add_task(f"pulling into {target}", total=len(artifacts))
        failures = standards.pull(target, mirror,
                                  on_file=lambda _: progress.advance(task))
    for failure in failures:
        typer.echo(f"error: {failure.artifact.path} from {failure.source}: {failure.reason}",
                   err=True)
    done = len(artifacts) - len(failures)
    typer.echo(f"{done} of {len(artifacts)} files in {target}", err=True)
    if failures:
        raise typer.Exit(1)
