"""Processes of the ledger: the HTTP API, and (later) the Kafka relay and projectors."""
