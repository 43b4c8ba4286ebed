"""The `ledger` command line: every entry point of the ledger's processes and administration,
assembled from the modules of this package."""

import logging

import typer

from ledger.cli import (
    audit,
    db,
    events,
    learners,
    portability,
    principals,
    rebuild,
    replay,
    serve,
    workers,
)
from ledger.cli.common import EPILOG, configure_logging

app = typer.Typer(help="Learner Record Ledger: a national, event-sourced micro-credential ledger.",
                  epilog=EPILOG, no_args_is_help=True, pretty_exceptions_show_locals=False)


@app.callback()
def _every_command() -> None:
    # Administrative commands log warnings and errors only, as JSON lines like the processes
    # (which raise their level to INFO with their own role).
    configure_logging("cli", logging.WARNING)


app.command()(serve.serve)
app.command()(serve.demo)
app.command()(workers.relay)
app.command()(workers.projector)
app.command()(workers.exporter)
app.add_typer(principals.principals_app, name="principals")
projections_app = typer.Typer(help="Read models: run the projections, rebuild them.",
                              no_args_is_help=True)
projections_app.command("run")(workers.run_projections)
projections_app.command("rebuild")(rebuild.rebuild_projection)
app.add_typer(projections_app, name="projections")
audit.audit_app.command("replay")(replay.replay)
audit.audit_app.command("diff")(replay.diff)
app.add_typer(audit.audit_app, name="audit")
app.add_typer(learners.learners_app, name="learners")
app.add_typer(portability.keys_app, name="keys")
app.add_typer(portability.standards_app, name="standards")
app.add_typer(db.db_app, name="db")
app.add_typer(events.events_app, name="events")


def main() -> None:
    try:
        app()
    finally:
        _release()


def _release() -> None:
    """Collect the ledger's objects while the interpreter is whole: a PostgreSQL datastore
    left for interpreter shutdown prints a non-JSON "Exception ignored" from its __del__."""
    import gc

    from ledger import metrics

    metrics.forget()
    gc.collect()
