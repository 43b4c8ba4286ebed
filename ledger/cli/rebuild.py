"""`ledger projections rebuild NAME`: a read model rebuilt from scratch while the API serves."""

from typing import Annotated

import typer

from ledger.cli.common import DataDir, open_ledger


def rebuild_projection(
    name: Annotated[str, typer.Argument(help="transcripts, register or status")],
    data_dir: DataDir = None,
) -> None:
    """Rebuild one read model from the event store without stopping the API: build it in a
    shadow table while writes continue, catch up with the log, then switch it in under a brief
    lock. Readers never see a half-built model; no event is lost or applied twice (embedded
    runner or Kafka projectors alike)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from ledger.projections.rebuild import ShadowRebuild

    with open_ledger(data_dir) as ledger:
        if name not in ledger.read_models.projections:
            typer.echo(f"error: unknown projection {name}; one of "
                       f"{', '.join(ledger.read_models.projections)}", err=True)
            raise typer.Exit(2)
        bar = Progress(TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
                       console=Console(stderr=True), transient=True)
        tasks: dict[str, int] = {}

        def show(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)

        with bar:
            done = ShadowRebuild(ledger, name, on_progress=show).run()
    typer.echo(f"rebuilt {done.projection}: {done.rows:,} documents from {done.events:,} events "
               f"in {done.seconds:.1f} s; switched in at position {done.position:,} "
               f"(live table held {done.locked_seconds * 1000:.0f} ms)")
