"""The ledger's X.509 certificate and RSA key for XML signatures (EMREX ELMO reports).

EMREX contact points check an enveloped XML-DSig against a certificate, and Debian's xmlsec1
1.2 (like many XML-DSig stacks) has no EdDSA, so ELMO cannot reuse the Ed25519 keys of
ledger.store.keys. RSA (PKCS#1 v1.5) rather than ECDSA: its signatures are deterministic, so a
regenerated ELMO export keeps its digest, as every other export does.

Development: one self-signed certificate per ledger, made on first use, its private key sealed
under the master key like the signing keys. Production may supply its own certificate and key
(settings `xml_signing_certificate`, `xml_signing_key`: PEM files), which then win.
"""

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from cryptography.x509.oid import NameOID

from ledger.signing.xml_dsig import CertifiedKey
from ledger.store.database import Database
from ledger.store.vault import derive_key, seal, unseal

RSA_BITS = 3072
VALID_YEARS = 10



@dataclass(frozen=True)
class Subject:
    """Who the self-signed certificate names: the body that runs the ledger."""

    organisation: str
    country: str
    url: str


def self_signed(subject: Subject, now: datetime | None = None) -> CertifiedKey:
    """A new RSA key and a self-signed certificate for XML signatures (development)."""
    now = now or datetime.now(UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, subject.country),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, subject.organisation[:64]),
        x509.NameAttribute(NameOID.COMMON_NAME, "Learner Record Ledger: signed ELMO reports"),
    ])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * VALID_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectAlternativeName(
            [x509.UniformResourceIdentifier(subject.url)]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    return CertifiedKey(key, certificate)


def load_supplied(certificate_path: Path, key_path: Path) -> CertifiedKey:
    """A certificate and its unencrypted PEM private key supplied by the operator."""
    certificate = x509.load_pem_x509_certificate(certificate_path.read_bytes())
    key = load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValueError("the XML signing key must be RSA or EC (xmlsec1 has no EdDSA)")
    if key.public_key().public_numbers() != certificate.public_key().public_numbers():
        raise ValueError("the XML signing key does not match its certificate")
    return CertifiedKey(key, certificate)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class XmlSigningKeys:
    """The ledger's current certificate and key: supplied, or stored (made on first use)."""

    def __init__(self, database: Database, master_key: bytes, subject: Subject,
                 supplied: CertifiedKey | None = None) -> None:
        self.database = database
        self.subject = subject
        self._sealing = AESGCM(derive_key(master_key, b"ledger xml signing keys"))
        self._current = supplied
        self._lock = threading.Lock()

    def current(self) -> CertifiedKey:
        with self._lock:
            if self._current is None:
                self._current = self._load() or self._create()
            return self._current

    def _load(self) -> CertifiedKey | None:
        row = self.database.query_one(
            "SELECT key_id, certificate_pem, sealed_private_key FROM xml_signing_keys "
            "WHERE retired_at IS NULL")
        if row is None:
            return None
        raw = unseal(self._sealing, bytes(row["sealed_private_key"]), row["key_id"].encode())
        key = load_pem_private_key(raw, password=None)
        assert isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
        return CertifiedKey(key, x509.load_pem_x509_certificate(
            row["certificate_pem"].encode()))

    def _create(self) -> CertifiedKey:
        made = self_signed(self.subject)
        pem = made.private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        with self.database.transaction() as cursor:
            cursor.execute(
                "INSERT INTO xml_signing_keys (key_id, certificate_pem, sealed_private_key, "
                "created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (made.key_id, made.certificate_pem,
                 seal(self._sealing, pem, made.key_id.encode()), _now()))
        loaded = self._load()  # ours, or another process's that won the race
        assert loaded is not None
        return loaded

