"""`ledger principals ...`: who may call the API, and their tokens."""

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
    data_dir: DataDir = None,
) -> None:
    """Create a principal; its bearer token is printed alone on the last line."""
    with open_ledger(data_dir) as ledger:
        actor, token = ledger.create_principal(role, scope, name)
    typer.echo(f"principal {actor.principal_id} role={actor.role} scope={actor.scope or '-'}",
               err=True)
    typer.echo(token)
