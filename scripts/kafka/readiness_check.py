"""Readiness probe for scripts/local-kafka.sh.

Usage: python readiness_check.py BOOTSTRAP

Exit 0 when a Kafka admin client can list topics on BOOTSTRAP, 1 when the broker
does not answer yet, 3 when kafka-python is not importable (the caller then
falls back to a TCP check plus the broker log).
"""

import logging
import sys

logging.disable(logging.CRITICAL)

try:
    from kafka import KafkaAdminClient
except ImportError:
    sys.exit(3)


def main() -> int:
    bootstrap = sys.argv[1]
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap,
            client_id="local-kafka-readiness",
            request_timeout_ms=5000,
        )
        try:
            admin.list_topics()
        finally:
            admin.close()
    except Exception as exc:
        print(f"not ready: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
