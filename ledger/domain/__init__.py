"""The ledger's aggregates, events and rules: plain Python, no I/O."""
