"""Audit and integrity: the hash chain over the event store, signed checkpoints, verification,
point-in-time replay of the read models and their diff with the live ones."""
