"""Settings: the public base URL follows the address `ledger serve` listens on unless it was
given explicitly (LEDGER_PUBLIC_BASE_URL)."""

from ledger.config import DEFAULT_PUBLIC_URL, Settings


def test_the_public_url_follows_the_served_port_unless_set(monkeypatch):
    monkeypatch.delenv("LEDGER_PUBLIC_BASE_URL", raising=False)
    assert Settings().public_url == DEFAULT_PUBLIC_URL
    served = Settings()
    served.serving_at("127.0.0.1", 8123)
    assert served.public_url == "http://127.0.0.1:8123"
    anywhere = Settings()
    anywhere.serving_at("0.0.0.0", 9000)  # noqa: S104
    assert anywhere.public_url == "http://localhost:9000"
    v6 = Settings()
    v6.serving_at("::1", 9000)
    assert v6.public_url == "http://[::1]:9000"
    monkeypatch.setenv("LEDGER_PUBLIC_BASE_URL", "https://ledger.example.ge")
    explicit = Settings()
    explicit.serving_at("127.0.0.1", 8123)
    assert explicit.public_url == "https://ledger.example.ge"
