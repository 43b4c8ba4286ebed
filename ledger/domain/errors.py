"""Named errors raised by the domain and the use cases, mapped to HTTP in one place."""


class LedgerError(Exception):
    """Base of every error the ledger raises on purpose."""

    title = "Ledger error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(LedgerError):
    title = "Not found"


class RuleViolation(LedgerError):
    """A command breaks a business rule (a lifecycle, an accreditation, a pathway)."""

    title = "Rule violation"


class Conflict(LedgerError):
    """A concurrent change won: the caller may re-read and retry."""

    title = "Conflict"


class Forbidden(LedgerError):
    title = "Forbidden"


class Unauthenticated(LedgerError):
    """The caller must say who they are (a bearer token) for this."""

    title = "Unauthorized"


class InvalidRequest(LedgerError):
    """Well-formed input that is still unacceptable (for example a reused idempotency key)."""

    title = "Invalid request"


class Gone(LedgerError):
    """What was asked for existed and is no longer available (an expired or revoked link)."""

    title = "Gone"
