"""`ledger principals ...`: who may call the API, and their tokens."""

from datetime import timedelta
from typing import Annotated

import typer

from ledger.cli.common import DataDir, open_ledger

principals_app = typer.Typer(help="Principals (who may call the API) and their tokens.",
                             no_args_is_help=True)


@principals_app.command("create")
def create_principal(
    role: Annotated[str, typer.Option(help="admin, qa_body, provider, recognition_body, learner "
                                           "or auditor")],
    scope: Annotated[str | None, typer.Option(help="The provider, body or learner id")] = None,
    name: Annotated[str | None, typer.Option(help="A label for people")] = None,
    valid_days: Annotated[int, typer.Option(
        min=0, help="Days the token is valid (0: until revoked)")] = 90,
    data_dir: DataDir = None,
) -> None:
    """Create a principal; its bearer token is printed alone on the last line."""
    valid_for = timedelta(days=valid_days) if valid_days else None
    with open_ledger(data_dir) as ledger:
        actor, token = ledger.create_principal(role, scope, name, valid_for)
    typer.echo(f"principal {actor.principal_id} role={actor.role} scope={actor.scope or '-'}",
               err=True)
    typer.echo(token)


@principals_app.command("list")
def list_principals(data_dir: DataDir = None) -> None:
    """Every principal: id, role, scope, name, created, expires, revoked (never a token)."""
    with open_ledger(data_dir) as ledger:
        rows = ledger.principals.list()
    columns = ("id", "role", "scope", "name", "created_at", "expires_at", "revoked_at")
    typer.echo("\t".join(columns))
    for row in rows:
        typer.echo("\t".join(str(row[c]) if row[c] is not None else "-" for c in columns))


@principals_app.command("revoke")
def revoke_principal(
    principal_id: Annotated[str, typer.Argument(help="The principal's id (ledger principals "
                                                     "list)")],
    data_dir: DataDir = None,
) -> None:
    """Revoke a principal's token: refused at once here, by every API process within 30 s."""
    with open_ledger(data_dir) as ledger:
        ledger.principals.revoke(principal_id)
    typer.echo(f"principal {principal_id} revoked", err=True)


@principals_app.command("bind")
def bind_principal(
    principal_id: Annotated[str, typer.Argument(help="The principal's id (ledger principals "
                                                     "list)")],
    issuer: Annotated[str, typer.Option(help="The OpenID Provider's issuer URL")],
    subject: Annotated[str, typer.Option(help="The person's subject (`sub`) at that "
                                              "provider")],
    data_dir: DataDir = None,
) -> None:
    """Bind an OpenID Connect subject to a principal: signing in as it on the pages acts as
    the principal (a subject bound to another principal is refused)."""
    with open_ledger(data_dir) as ledger:
        ledger.principals.bind(principal_id, issuer, subject)
    typer.echo(f"principal {principal_id} bound to {subject} at {issuer}", err=True)
