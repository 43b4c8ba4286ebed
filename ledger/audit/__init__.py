"""Audit: point-in-time replay of the read models, their diff with the live ones, erasure."""
