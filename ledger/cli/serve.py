"""`ledger serve` (the API process) and `ledger demo`."""

import logging
import sys
from typing import Annotated

import typer

from ledger.cli.common import (
    DataDir,
    configure_logging,
    exit_on_errors,
    freeze_startup_heap,
    open_ledger,
    settings_for,
)


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    data_dir: DataDir = None,
    demo: Annotated[bool, typer.Option(help="Seed demo data first when the ledger is empty")]
    = False,
    projections: Annotated[bool, typer.Option(
        help="Run the projections in this process (off when projectors run separately)")]
    = True,
) -> None:
    """Run the HTTP API (and, in the embedded default, the projections in-process)."""
    import uvicorn

    from ledger.bootstrap import bootstrap
    from services.api.app import create_app

    configure_logging("api")
    # The committer thread waits on PostgreSQL many times per batch; with the default 5 ms
    # switch interval each wake-up can queue behind the event loop for the GIL (a convoy).
    sys.setswitchinterval(0.0005)
    settings = settings_for(data_dir)
    settings.serving_at(host, port)  # URLs and DIDs for this address, unless set explicitly
    with exit_on_errors():
        ledger = bootstrap(settings, run_projections=projections)
        try:
            if demo and (ledger.app.recorder.max_notification_id() or 0) == 0:
                from ledger.demo import seed
                seed(ledger, print_tokens=True, base_url=settings.public_url)
        except BaseException:
            ledger.close()
            raise
    where = (settings.database_url and "PostgreSQL") or f"SQLite in {settings.data_dir}"
    logging.getLogger("ledger.api").info(f"Ledger on http://{host}:{port}: public pages at /, "
                                         f"API under /v1, docs at /docs (store: {where})")
    app = create_app(ledger, close_on_shutdown=True, settings=settings)
    freeze_startup_heap()
    # The app closes the ledger in its shutdown; uvicorn then re-raises the stopping signal.
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False,
                log_config=None)


def demo(
    data_dir: DataDir = None,
    host: Annotated[str, typer.Option(help="Where `ledger serve` will listen (for the URLs "
                                      "and DIDs printed)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port `ledger serve` will listen on")] = 8000,
) -> None:
    """Seed realistic demo data (QA agency, providers, programmes, learners, credentials) and
    print a token for each role."""
    from ledger.demo import seed

    settings = settings_for(data_dir)
    settings.serving_at(host, port)
    with open_ledger(settings, projections=True) as ledger:
        seed(ledger, print_tokens=True, base_url=settings.public_url)
