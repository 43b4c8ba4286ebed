"""A credential's status: one type for the domain's rules, the read models and the exports.

Plain strings (as stored in read models and published in exports), typed by a Literal."""

from typing import Final, Literal, get_args

CredentialStatus = Literal["active", "suspended", "revoked", "under_review"]

ACTIVE: Final[CredentialStatus] = "active"
SUSPENDED: Final[CredentialStatus] = "suspended"
REVOKED: Final[CredentialStatus] = "revoked"
UNDER_REVIEW: Final[CredentialStatus] = "under_review"  # a stack one of whose parts was revoked

STATUSES: tuple[CredentialStatus, ...] = get_args(CredentialStatus)
