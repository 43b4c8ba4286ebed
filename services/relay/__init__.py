"""The relay: the store's notification log, in order, to the Kafka topic ledger.events."""
