"""The standards cache: contexts only from the folder (never the network), a clear error for
anything missing, and `ledger standards pull` over real HTTP from a mirror."""

import functools
import http.server
import json
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger import standards as cache
from ledger.signing.data_integrity import canonicalise
from ledger.standards import Standards, StandardsMissing, UnknownContext
from ledger.urls import PublicUrls
from tests.conftest import STANDARDS
from tests.documents import achievement_credential

LEDGER = str(Path(sys.executable).parent / "ledger")


def document() -> dict:
    return achievement_credential(PublicUrls("https://ledger.example.ge"), "c-1", "p-1", 7)


def copy_of_standards(tmp_path: Path, without: str | None = None) -> Path:
    target = tmp_path / "standards"
    shutil.copytree(STANDARDS, target)
    if without:
        (target / without).unlink()
    return target


def test_every_context_of_the_manifest_is_in_the_shared_folder():
    index = json.loads((STANDARDS / "contexts" / "index.json").read_text())
    assert index == cache.CONTEXTS
    for artifact in cache.manifest():
        assert (STANDARDS / artifact.path).is_file(), artifact.path


def test_canonicalisation_never_touches_the_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert "<https://ledger.example.ge/v1/credentials/c-1>" in canonicalise(
        document(), Standards(STANDARDS))


def test_a_missing_context_file_is_a_clear_error_naming_the_fix(tmp_path):
    folder = copy_of_standards(tmp_path, without="contexts/ob-v3p0-context-3.0.3.json")
    with pytest.raises(StandardsMissing) as raised:
        canonicalise(document(), Standards(folder))
    assert "contexts/ob-v3p0-context-3.0.3.json" in raised.value.detail
    assert f"ledger standards pull --dir {folder}" in raised.value.detail


def test_a_missing_cache_is_a_clear_error(tmp_path):
    with pytest.raises(StandardsMissing) as raised:
        canonicalise(document(), Standards(tmp_path / "nowhere"))
    assert "contexts/index.json" in raised.value.detail


def test_a_context_no_supported_standard_defines_is_refused():
    strange = {**document(), "@context": [*document()["@context"], "https://example.org/ctx"]}
    with pytest.raises(UnknownContext):
        canonicalise(strange, Standards(STANDARDS))


def test_contexts_are_parsed_once_and_reused():
    standards = Standards(STANDARDS)
    canonicalise(document(), standards)
    first = standards.context("https://www.w3.org/ns/credentials/v2")
    canonicalise(document(), standards)
    assert standards.context("https://www.w3.org/ns/credentials/v2") is first


# -- pull, over real HTTP ------------------------------------------------------------------

class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A web server over a copy of the standards folder (one schema removed)."""
    served = copy_of_standards(tmp_path / "served", without="schemas/edc/EDC-generic-full.ttl")
    handler = functools.partial(Quiet, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", served
    server.shutdown()
    thread.join(timeout=10)


def test_pull_downloads_every_file_and_names_each_one_that_failed(mirror, tmp_path):
    url, served = mirror
    target = tmp_path / "pulled"
    done = subprocess.run([LEDGER, "standards", "pull", "--dir", str(target), "--mirror", url],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "error: schemas/edc/EDC-generic-full.ttl" in done.stderr
    assert "404" in done.stderr
    pulled = [a for a in cache.manifest() if a.path != "schemas/edc/EDC-generic-full.ttl"]
    for artifact in pulled:
        assert (target / artifact.path).read_bytes() == (served / artifact.path).read_bytes()
    assert not (target / "schemas/edc/EDC-generic-full.ttl").exists()
    assert json.loads((target / "contexts/index.json").read_text()) == cache.CONTEXTS
    # What was pulled signs exactly as the shared folder does.
    assert canonicalise(document(), Standards(target)) == canonicalise(document(),
                                                                      Standards(STANDARDS))


def test_pull_refuses_a_response_that_is_not_the_json_it_expects(tmp_path):
    def fetch(url: str) -> bytes:
        return b"<html>captive portal</html>" if url.endswith(".jsonld") else b"{}"

    failures = cache.pull(tmp_path, "http://mirror.invalid", fetch=fetch)
    assert {f.artifact.path for f in failures} == {
        a.path for a in cache.manifest() if a.path.endswith(".jsonld")}
    assert not (tmp_path / "contexts/credentials-v2.jsonld").exists()


def test_pull_uses_the_official_urls_without_a_mirror(tmp_path):
    asked = []
    cache.pull(tmp_path, None, fetch=lambda url: asked.append(url) or b"{}")
    assert "https://www.w3.org/ns/credentials/v2" in asked
    assert ("https://raw.githubusercontent.com/emrex-eu/elmo-schemas/v1.7.0/schema.xsd"
            in asked)
    assert len(asked) == len(cache.manifest())
