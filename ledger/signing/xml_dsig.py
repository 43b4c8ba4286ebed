"""Enveloped XML signatures (XML-DSig) with the ledger's X.509 certificate, as EMREX expects of
an ELMO report: one ds:Reference with an empty URI (the whole document), the signature as the
root's last child, the certificate in ds:KeyInfo/ds:X509Data."""

import logging
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from signxml import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureMethod,
    XMLSigner,
    XMLVerifier,
    methods,
)
from signxml.exceptions import InvalidInput, InvalidSignature

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class CertifiedKey:
    private_key: PrivateKey
    certificate: x509.Certificate

    @property
    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(Encoding.PEM).decode()

    @property
    def key_id(self) -> str:
        """The certificate's SHA-256 fingerprint (hex)."""
        return self.certificate.fingerprint(hashes.SHA256()).hex()


# signxml logs every canonicalised document at DEBUG: an ELMO report is a learner's personal
# data, which must never reach a log (erasure could not reach it there).
logging.getLogger("signxml").setLevel(logging.INFO)

# Whitespace and comments are kept as parsed: the signed bytes are the served bytes.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)


def _signer(key: CertifiedKey) -> XMLSigner:
    rsa = "RSA" in type(key.private_key).__name__.upper()
    return XMLSigner(
        method=methods.enveloped,
        signature_algorithm=SignatureMethod.RSA_SHA256 if rsa else SignatureMethod.ECDSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )


def sign(xml: bytes, key: CertifiedKey) -> bytes:
    """The document with an enveloped signature appended to its root element."""
    root = etree.fromstring(xml, _PARSER)
    signed = _signer(key).sign(root, key=key.private_key, cert=[key.certificate_pem])
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def verify(xml: bytes, certificate_pem: str) -> bool:
    """Whether the document's enveloped signature verifies with this certificate."""
    try:
        XMLVerifier().verify(xml, x509_cert=certificate_pem, expect_references=1)
    except (InvalidSignature, InvalidInput, etree.XMLSyntaxError):
        return False
    return True
