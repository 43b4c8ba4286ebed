"""`ledger db ...`: the store's schema version and its migrations (ledger/store/schema)."""

import typer

from ledger.cli.common import DataDir, exit_on_errors, settings_for

db_app = typer.Typer(help="The store's schema: versioned migrations.", no_args_is_help=True)


@db_app.command()
def upgrade(data_dir: DataDir = None) -> None:
    """Apply every pending schema migration, in order, each in its own transaction; safe to
    repeat (nothing pending does nothing) and safe beside running processes (they take the
    same lock). A store made before versioned migrations adopts version 1 in place. Every
    process also upgrades at startup; this command does it ahead of a deployment."""
    from ledger.bootstrap import open_store, projections
    from ledger.store.migrations import Migrator

    with exit_on_errors():
        store = open_store(settings_for(data_dir), projections())
        try:
            current = Migrator(store.database).status()
        finally:
            store.close()
    for migration in store.migrated:
        typer.echo(f"applied {migration.version:04d} {migration.name}")
    version = current.applied[-1][0] if current.applied else 0
    typer.echo(f"schema at version {version}" + ("" if store.migrated else ": nothing to do"),
               err=True)


@db_app.command()
def status(data_dir: DataDir = None) -> None:
    """List applied and pending migrations without applying any; exit status 1 when some are
    pending."""
    from ledger.application import LedgerApplication
    from ledger.store.database import Database
    from ledger.store.migrations import Migrator

    settings = settings_for(data_dir)
    with exit_on_errors():
        app = LedgerApplication(env={**settings.eventsourcing_env(), "CREATE_TABLE": "n"})
        try:
            current = Migrator(Database(app.recorder.datastore, settings.uses_postgres)).status()
        finally:
            app.close()
    for version, name, applied_at in current.applied:
        typer.echo(f"{version:04d} {name}\tapplied {applied_at}")
    for migration in current.pending:
        typer.echo(f"{migration.version:04d} {migration.name}\tpending")
    if current.pending:
        raise typer.Exit(1)
