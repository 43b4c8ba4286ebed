"""The export publisher: learners' updated exports to ledger.exports."""
