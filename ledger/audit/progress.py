"""Progress of long audit work: a rich bar on a terminal, a log line at each end otherwise."""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

log = logging.getLogger(__name__)

Update = Callable[[int], None]


@contextmanager
def bar(description: str, total: int) -> Iterator[Update]:
    """Yields `update(completed)`; shows a bar only when standard error is a terminal."""
    console = Console(stderr=True)
    if not console.is_terminal:
        log.info("%s: %d to do", description, total)
        yield lambda _: None
        log.info("%s: done", description)
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TaskProgressColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(description, total=max(total, 1))
        yield lambda completed: progress.update(task, completed=completed)
        progress.update(task, completed=max(total, 1))


@contextmanager
def quiet(description: str, total: int) -> Iterator[Update]:
    yield lambda _: None
