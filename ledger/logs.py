"""One logging configuration for every process: JSON lines on stderr (python-json-logger), each
with the time, level, logger, message, the process's role and, inside an HTTP request, its
request id. Log lines carry ids and counts, never personal data."""

import logging
import sys
from contextvars import ContextVar

from pythonjsonlogger.orjson import OrjsonFormatter

# The id of the HTTP request being served (services/api/telemetry.py sets it).
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

# Libraries whose INFO lines say nothing an operator needs, or too much: fontTools logs every
# glyph it subsets into a PDF (the learners' names, letter by letter); kafka-python logs each
# connection and group step.
QUIET = {"fontTools": logging.WARNING, "kafka": logging.WARNING}


class _RequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        rid = request_id.get()
        if rid is not None and not hasattr(record, "request_id"):
            record.request_id = rid
        return True


def configure(process: str, level: int | str = logging.INFO) -> None:
    """Send every logger's records, as JSON lines, to stderr; call once at process start."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OrjsonFormatter(
        "{levelname}{name}{message}", style="{", timestamp="time",
        rename_fields={"levelname": "level", "name": "logger"},
        static_fields={"process": process}))
    handler.addFilter(_RequestId())
    # The lines carry no source file, thread or process fields: the logging HOWTO's
    # "Optimization" switches skip gathering them for every record (an access line per request).
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(quiet)
    # uvicorn's own loggers propagate to the root instead of printing plain text.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.captureWarnings(True)
