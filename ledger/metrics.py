"""Prometheus metrics of every process (names per the Prometheus conventions: base units,
`_total` counters, `_info` for build information). Gauges read at scrape time (the store's
head, the committer's queue, the age of the newest checkpoint) come from callables that the
composition roots register with `watch`."""

import logging
import platform
from collections.abc import Callable, Iterator

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, Info
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ledger import __version__

log = logging.getLogger(__name__)

BUILD = Info("ledger_build", "The running build")
BUILD.info({"version": __version__, "python": platform.python_version()})

REQUESTS = Counter("ledger_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("ledger_http_request_duration_seconds", "HTTP request duration",
                    ["method", "route"])
APPEND_BATCH_SIZE = Histogram(
    "ledger_append_batch_commands", "Commands saved per group commit",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
)
PROJECTION_POSITION = Gauge("ledger_projection_position", "Last applied store position",
                            ["projection"])
PROJECTION_LAG = Gauge("ledger_projection_lag_events", "Events published but not yet applied",
                       ["projection"])
RELAY_POSITION = Gauge("ledger_relay_position", "Last store position confirmed by Kafka")
DEAD_LETTERED = Counter("ledger_dead_letters_total",
                       "Messages sent to the dead-letter topic, by consumer", ["consumer"])

# name -> (help, read); read at each scrape.
SCRAPED = {
    "ledger_store_head_position": "The event store's last position",
    "ledger_committer_queue_depth": "Commands waiting for the group committer",
    "ledger_audit_checkpoint_age_seconds": "Seconds since the newest signed checkpoint",
}
_sources: dict[str, Callable[[], float | None]] = {}


def watch(name: str, read: Callable[[], float | None]) -> None:
    """Report `read()` as the gauge `name` (one of SCRAPED) at every scrape; the latest
    registration wins (one ledger per process)."""
    if name not in SCRAPED:
        raise ValueError(f"unknown scraped metric {name}")
    _sources[name] = read


def forget() -> None:
    """Drop the registered readers (and the objects they hold)."""
    _sources.clear()


class _Scraped(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        for name, read in list(_sources.items()):
            try:
                value = read()
            except Exception as error:  # a scrape must not fail because the store is down
                log.warning("metric %s not read: %s", name, type(error).__name__)
                continue
            if value is not None:
                yield GaugeMetricFamily(name, SCRAPED[name], value=value)


REGISTRY.register(_Scraped())
