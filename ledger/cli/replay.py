"""`ledger audit replay` and `ledger audit diff` (registered on ledger.cli.audit's audit_app):
read models rebuilt from the store as it stood, and compared with the live ones."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from ledger.cli.common import DataDir, open_ledger

Projections = Annotated[list[str] | None, typer.Option(
    "--projection", help="transcripts, register or status; repeat for several [default: all]")]


def parse_time(text: str) -> datetime:
    """RFC 3339 / ISO 8601; without a zone it is UTC; a bare date is 00:00 UTC that day."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an RFC 3339 timestamp") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@contextmanager
def progress_bar(description: str) -> Iterator[tuple[Any, Any]]:
    """A rich progress bar on stderr over store positions: (set_total, advance_to)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), TimeRemainingColumn(),
                        console=Console(stderr=True), transient=True)
    with progress:
        task = progress.add_task(description, total=None)
        yield (lambda total: progress.update(task, total=total),
               lambda position: progress.update(task, completed=position))


def _names(ledger: Any, projection: list[str] | None) -> list[str]:
    names = projection or list(ledger.read_models.projections)
    unknown = set(names) - set(ledger.read_models.projections)
    if unknown:
        typer.echo(f"error: unknown projection {', '.join(sorted(unknown))}; one of "
                   f"{', '.join(ledger.read_models.projections)}", err=True)
        raise typer.Exit(2)
    return names


def _write(document: Any, output: Path | None) -> None:
    data = orjson.dumps(document, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        output.write_bytes(data)
        typer.echo(f"wrote {output} ({len(data):,} bytes)", err=True)


def replay(
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Recorded time (RFC 3339; UTC if no zone): every event recorded at or "
        "before it")] = None,
    position: Annotated[int | None, typer.Option(
        "--position", min=0, help="Store position: every event at or below it")] = None,
    learner: Annotated[str | None, typer.Option(
        "--learner", help="Only this learner: their transcript in the API's shape")] = None,
    projection: Projections = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write the JSON here instead of standard output")] = None,
    data_dir: DataDir = None,
) -> None:
    """Rebuild read models from the event store as it stood at a position or a recorded time
    (default: now), with the projection code that serves live reads, and print them as JSON:
    {position, last_event, events, chain_head, as_of, projections: {name: {key: document}}},
    or with --learner the learner's transcript (as the API gives it). Nothing is written."""
    from ledger.audit.replay import learner_transcript
    from ledger.projections.replay import Replayer

    if as_of is not None and position is not None:
        typer.echo("error: give --as-of or --position, not both", err=True)
        raise typer.Exit(2)
    moment = parse_time(as_of) if as_of is not None else None
    with open_ledger(data_dir) as ledger:
        names = ["transcripts"] if learner else _names(ledger, projection)
        projections = [ledger.read_models.projections[n] for n in names]
        with progress_bar("replaying the store") as (set_total, advance_to):
            set_total(position if position is not None else ledger.events.head())
            replayer = Replayer(ledger.events, ledger.app.mapper.transcoder, projections,
                                stream=learner, as_of=moment, on_progress=advance_to)
            replayer.advance(position)
        if learner:
            document = learner_transcript(replayer, learner)
            if document is None:
                typer.echo(f"error: learner {learner} has no record at that point", err=True)
                raise typer.Exit(1)
            last = document["position"]
        else:
            document = {"position": replayer.position, "last_event": replayer.last,
                        "events": replayer.events, "projections":
                        {name: replayer.docs(name) for name in names}}
            last = replayer.last
        # The chain entry of the last event folded: it commits to everything the documents
        # were computed from, so the output can be checked against a signed checkpoint.
        document["chain_head"] = ledger.audit.link_at(last) if last else None
        if moment is not None:
            document["as_of"] = moment.isoformat()
    _write(document, output)


def diff(
    projection: Projections = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
    data_dir: DataDir = None,
) -> None:
    """Replay the whole store and compare every document with the live read models; list every
    difference. Exit status 0 when there is none, 1 otherwise. Safe while the API serves and
    writes continue: rows still catching up with the newest events are counted, not listed."""
    from ledger.audit.replay import diff as compare_all

    with open_ledger(data_dir) as ledger:
        names = _names(ledger, projection)
        with progress_bar("replaying and comparing") as (set_total, advance_to):
            report = compare_all(ledger, names, on_progress=advance_to, on_plan=set_total)
    if as_json:
        _write({"settled": report.settled, "position": report.position, "head": report.head,
                "compared": report.compared, "in_flight": report.in_flight,
                "differences": [d.as_json() for d in report.differences]}, None)
    else:
        _print_report(report)
    raise typer.Exit(1 if report.differences else 0)


def _print_report(report: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"compared {report.compared:,} documents with a replay up to position "
                  f"{report.position:,} (read models settled at {report.settled:,}, store head "
                  f"{report.head:,}; {report.in_flight:,} documents still catching up)")
    if not report.differences:
        console.print("no differences")
        return
    table = Table("projection", "kind", "live position", "replayed position", "fields", "key")
    table.columns[-1].overflow = "fold"
    for d in report.differences:
        table.add_row(d.projection, d.kind, str(d.live_position), str(d.replayed_position),
                      ", ".join(d.fields), d.key)
    console.print(table)
    console.print(f"{len(report.differences):,} differences")
