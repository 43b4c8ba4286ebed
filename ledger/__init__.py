"""Learner Record Ledger: an event-sourced national register of micro-credentials."""

__version__ = "0.1.0"
