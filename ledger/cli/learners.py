"""`ledger learners ...`: administration of learner records from the command line."""

from typing import Annotated

import typer

from ledger.cli.common import DataDir, open_ledger

learners_app = typer.Typer(help="Learner records: erasure.", no_args_is_help=True)


@learners_app.command("erase")
def erase(
    learner_id: Annotated[str, typer.Argument(help="The learner's id")],
    reason: Annotated[str, typer.Option(
        help="A GDPR Art. 17(1) ground: data_subject_request, consent_withdrawn, objection, "
        "unlawful_processing, legal_obligation or no_longer_necessary")]
    = "data_subject_request",
    data_dir: DataDir = None,
) -> None:
    """Erase a learner's personal data: destroy their vault key and national-id index, the
    idempotency records of requests that carried their data and their own principals, and
    record RecordErased (as an administrator). Their credentials stay, anonymous; the events
    and the hash chain are untouched. Prints {learner_id, status, position} as JSON."""
    import asyncio
    import getpass

    import orjson

    from ledger.domain.actors import Actor

    with open_ledger(data_dir) as ledger:
        # The event records who erased: the operator's account on this machine.
        admin = Actor(principal_id=f"cli:{getpass.getuser()}", role="admin")
        outcome = asyncio.run(ledger.erase(admin, learner_id, reason))
    typer.echo(orjson.dumps(outcome.body).decode())
