"""Demo data (placeholder until the seeder lands)."""


def seed(ledger, print_tokens: bool = False) -> dict:
    return {}
