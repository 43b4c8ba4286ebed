"""What the verification pages show: the ledger's record of one credential, and the checks a
handed-in document went through (from ledger.verification's report, never recomputed here)."""

from typing import Any

from ledger.application import Ledger

Document = dict[str, Any]


def credential_page(ledger: Ledger, credential_id: str) -> Document:
    """GET /v1/verify/{id}'s answer, with the date of the last status change and the
    programme's summary (raises NotFound for an unknown credential)."""
    record = ledger.verify(credential_id)
    row = ledger.read_models.get("status", credential_id) or {}
    programme_id = row.get("programme_id")
    programme = ledger.read_models.get("register", programme_id) if programme_id else None
    good = (record["status"] == "active" and record["provider_accredited_on_award"]
            and record["programme_approved_on_award"])
    return {"record": record, "status_changed_at": row.get("status_changed_at"),
            "programme": programme, "kind": row.get("kind", "credential"), "good": good}


def _outcome(value: Any) -> str:
    return {True: "passed", False: "failed", "active": "passed", "revoked": "failed",
            "suspended": "failed"}.get(value, "unknown")


def checks(report: Document) -> list[Document]:
    """The report of POST /v1/verify as a list of named checks, each passed, failed or
    unknown; the report's own problems and unknowns are listed beside them."""
    proofs = report.get("proofs") or []
    signed = any(p["valid"] for p in proofs) if proofs else False
    belongs = [p["key"]["belongs_to_issuer"] for p in proofs if p["valid"]]
    key = True if True in belongs else False if False in belongs else None
    listed = [{"name": "signature", "outcome": _outcome(signed)},
              {"name": "issuer_key", "outcome": _outcome(key) if signed else "failed"}]
    status = report.get("status") or {}
    listed += [{"name": purpose, "outcome": _outcome(status[purpose])}
               for purpose in ("revocation", "suspension") if purpose in status]
    record = report.get("ledger_record")
    if report.get("kind") not in ("ClrCredential", "BitstringStatusListCredential"):
        listed += [
            {"name": "accredited", "outcome": _outcome(
                record["provider_accredited_on_award"] if record else None)},
            {"name": "approved", "outcome": _outcome(
                record["programme_approved_on_award"] if record else None)},
        ]
    nested = report.get("credentials") or []
    if report.get("kind") == "ClrCredential":
        verdicts = {c.get("verdict") for c in nested}
        listed.append({"name": "nested", "outcome": "failed" if "invalid" in verdicts
                       else "unknown" if "unknown" in verdicts else "passed"})
    return listed
