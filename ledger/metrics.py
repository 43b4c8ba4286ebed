"""Prometheus metrics shared by the API, the committer and the projection runners."""

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter("ledger_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("ledger_http_request_seconds", "HTTP request latency", ["method", "route"])
APPEND_BATCH_SIZE = Histogram(
    "ledger_append_batch_commands", "Commands saved per group commit",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
)
PROJECTION_POSITION = Gauge("ledger_projection_position", "Last applied store position",
                            ["projection"])
PROJECTION_LAG = Gauge("ledger_projection_lag_events", "Events published but not yet applied",
                       ["projection"])
RELAY_POSITION = Gauge("ledger_relay_position", "Last store position confirmed by Kafka")
