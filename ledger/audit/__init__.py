"""Audit and integrity: the hash chain over the event store, signed checkpoints, verification."""
