"""Debian's xmlsec1, an XML-DSig implementation outside the ledger, as EMREX contact points
check a signed ELMO report."""

import shutil
import subprocess
from pathlib import Path


def xmlsec_verifies(certificate: Path, document: Path) -> bool:
    """`xmlsec1 --verify --pubkey-cert-pem CERT FILE` accepts the document."""
    xmlsec1 = shutil.which("xmlsec1")
    assert xmlsec1, "xmlsec1 is needed (Debian package xmlsec1; scripts/test.sh installs it)"
    run = subprocess.run([xmlsec1, "--verify", "--pubkey-cert-pem", str(certificate),
                          str(document)], capture_output=True, timeout=60,
                         check=False)
    return run.returncode == 0


def one_byte_changed(content: bytes, marker: bytes) -> bytes:
    """A copy with one byte of the signed content changed: the first character after marker."""
    at = content.index(marker) + len(marker)
    changed = b"X" if content[at:at + 1] != b"X" else b"Y"
    return content[:at] + changed + content[at + 1:]
