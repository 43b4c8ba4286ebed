"""Options shared by the `ledger` command and its sub-apps (ledger/audit/cli.py, ...)."""

from pathlib import Path
from typing import Annotated

import typer

from ledger.config import Settings

DataDir = Annotated[Path | None, typer.Option(
    "--data-dir", help="Embedded store folder (SQLite); ignored when DATABASE_URL is set "
    "[default: ./var]")]


def settings_for(data_dir: Path | None) -> Settings:
    settings = Settings()
    if data_dir is not None:
        settings.data_dir = data_dir
    return settings
