"""A worker's own HTTP endpoint (relay, projector, exporter): Prometheus metrics on /metrics
and its health on /healthz, JSON, 200 when every check passes and 503 otherwise; for the
compose health checks and the scraper. Requests are not logged (they come every few seconds)."""

import json
import logging
import threading
from collections.abc import Callable
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app

log = logging.getLogger(__name__)

Check = Callable[[], object]  # raises (or returns False) when unhealthy; any other value is shown


class Health:
    def __init__(self) -> None:
        self.checks: dict[str, Check] = {}

    def add(self, name: str, check: Check) -> None:
        self.checks[name] = check

    def report(self) -> tuple[bool, dict]:
        results, healthy = {}, True
        for name, check in list(self.checks.items()):
            try:
                value = check()
            except Exception as error:
                value, ok = f"failed: {type(error).__name__}", False
            else:
                ok = value is not False
            healthy = healthy and ok
            results[name] = value if isinstance(value, int | float | str) else ok
        return healthy, {"status": "ok" if healthy else "unavailable", "checks": results}


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def serve(port: int, health: Health, host: str = "0.0.0.0") -> WSGIServer:  # noqa: S104
    """Serve /metrics and /healthz on `port` in a daemon thread (scraped from other
    containers, hence every interface by default)."""
    metrics_app = make_wsgi_app()

    def app(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz":
            healthy, body = health.report()
            start_response("200 OK" if healthy else "503 Service Unavailable",
                           [("Content-Type", "application/json")])
            return [json.dumps(body).encode()]
        return metrics_app(environ, start_response)

    server = make_server(host, port, app, server_class=_Server, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, name="metrics-http", daemon=True).start()
    log.info("metrics and health on port %d", port)
    return server


def postgres_reachable(url: str) -> Check:
    """A check that opens a connection to PostgreSQL and runs SELECT 1."""
    def check() -> bool:
        import psycopg

        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    return check


def kafka_reachable(bootstrap_servers: str, timeout: float = 2.0) -> Check:
    """A check that some bootstrap broker accepts a TCP connection (host:port, comma-separated;
    the producers and consumers find the rest of the cluster from it)."""
    import socket

    addresses = []
    for server in bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        addresses.append((host.strip("[]") or "localhost", int(port or 9092)))

    def check() -> bool:
        for address in addresses:
            try:
                with socket.create_connection(address, timeout=timeout):
                    return True
            except OSError:
                continue
        raise ConnectionError("no Kafka bootstrap server reachable")
    return check
