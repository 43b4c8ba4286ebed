"""Registers every topic of the event catalogue with the library, the old module paths too,
so that stored history of any release resolves to today's classes."""

from functools import cache

from eventsourcing.utils import register_topic

from ledger.domain.catalogue import aliases


@cache
def register_catalogue() -> None:
    for topic, cls in aliases().items():
        register_topic(topic, cls)
