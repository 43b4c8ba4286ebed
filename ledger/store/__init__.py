"""Infrastructure of the write side: the event store, its side tables, the vault, principals."""
