"""The standards cache: offline copies of the contexts, schemas, shapes and XSDs that exports
must conform to, a JSON-LD document loader that reads only from it, and `pull` to fill it.

Signing must never depend on a network fetch (a context served differently tomorrow would
change every signature), so a context that is not in the cache is an error, never a download.
"""

import json
import os
import threading
import urllib.request
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.domain.errors import InvalidRequest, LedgerError

INDEX = "contexts/index.json"

# Official URL -> file under contexts/ (the same mapping `pull` writes to contexts/index.json).
CONTEXTS = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://www.w3.org/2018/credentials/v1": "credentials-v1.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-v3p0-context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json": "ob-v3p0-extensions.json",
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json": "clr-v2p0-context-2.0.1.json",
    "https://w3id.org/security/data-integrity/v2": "data-integrity-v2.jsonld",
    "https://w3id.org/vc/status-list/2021/v1": "vc-status-list-2021-v1.jsonld",
    "http://data.europa.eu/snb/model/context/edc-ap": "edc-ap-context.jsonld",
}

_ELM = "https://raw.githubusercontent.com/european-commission-empl/European-Learning-Model/master"
_ELMO = "https://raw.githubusercontent.com/emrex-eu/elmo-schemas/v1.7.0"
_EWP = "https://raw.githubusercontent.com/erasmus-without-paper"
_OB = "https://purl.imsglobal.org/spec/ob/v3p0/schema"
_CLR = "https://purl.imsglobal.org/spec/clr/v2p0/schema/json"

# Schema file under schemas/ -> its official URL.
SCHEMAS = {
    "ob3/ob_v3p0_achievementcredential_schema.json":
        f"{_OB}/json/ob_v3p0_achievementcredential_schema.json",
    "ob3/ob_v3p0_achievementcredential_schema.jsonld-variant.json":
        f"{_OB}/json-ld/ob_v3p0_achievementcredential_schema.json",
    "clr2/clr_v2p0_clrcredential_schema.json": f"{_CLR}/clr_v2p0_clrcredential_schema.json",
    "clr2/clr_v2p0_achievementcredential_schema.json":
        f"{_CLR}/clr_v2p0_achievementcredential_schema.json",
    "vc2/verifiable-credential-schema.json":
        "https://www.w3.org/2022/credentials/v2/verifiable-credential-schema.json",
    "edc/EDC-generic-no-cv.ttl": f"{_ELM}/rdf/ap/edc/EDC-generic-no-cv.ttl",
    "edc/EDC-generic-full.ttl": f"{_ELM}/rdf/ap/edc/EDC-generic-full.ttl",
    "elmo/schema.xsd": f"{_ELMO}/schema.xsd",
    "elmo/references/xmldsig-core-schema.xsd": f"{_ELMO}/references/xmldsig-core-schema.xsd",
    "elmo/references/EUROPASS_ISOCountries_V1.1.xsd":
        f"{_ELMO}/references/EUROPASS_ISOCountries_V1.1.xsd",
    "elmo/references/ewp-specs-types-address.xsd":
        f"{_EWP}/ewp-specs-types-address/stable-v1/schema.xsd",
    "elmo/references/ewp-common-types.xsd":
        f"{_EWP}/ewp-specs-architecture/stable-v1/common-types.xsd",
}


@dataclass(frozen=True)
class Artifact:
    path: str  # relative to the standards directory
    url: str  # where its owner publishes it


def manifest() -> list[Artifact]:
    """Every file the cache holds, with its official URL."""
    return ([Artifact(f"contexts/{name}", url) for url, name in CONTEXTS.items()]
            + [Artifact(f"schemas/{path}", url) for path, url in SCHEMAS.items()])


class StandardsMissing(LedgerError):
    """A file the ledger needs is not in the standards cache (a deployment fault: 503)."""

    title = "Standards missing"


class UnknownContext(InvalidRequest):
    """A document names a JSON-LD context that no standard the ledger supports defines."""

    title = "Unknown context"


class _ResolvedContexts:
    """pyld's cache of resolved (and, inside them, processed) contexts, kept per Standards
    rather than in pyld's module-wide cache, and bounded: verified documents may bring inline
    contexts of their own."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._items: OrderedDict[str, Any] = OrderedDict()

    def get(self, key: str, default: Any = None) -> Any:
        value = self._items.get(key, default)
        if key in self._items:
            self._items.move_to_end(key)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)


class Standards:
    """One standards directory (the layout of ../shared/standards)."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self._documents: dict[str, Any] = {}
        self._resolved = _ResolvedContexts()
        # pyld's context caches are not thread-safe; JSON-LD processing is pure Python and
        # holds the GIL anyway, so serialising it costs no parallelism.
        self._lock = threading.RLock()

    def path(self, relative: str) -> Path:
        """A file of the cache, which must exist."""
        path = self.directory / relative
        if not path.is_file():
            raise StandardsMissing(
                f"{relative} is not in the standards cache {self.directory}: run "
                f"`ledger standards pull --dir {self.directory}` on a machine with internet "
                "access (or point LEDGER_STANDARDS_DIR at a complete copy)")
        return path

    def context_index(self) -> dict[str, str]:
        """Official context URL -> file name, from contexts/index.json."""
        if "index" not in self._documents:
            self._documents["index"] = json.loads(self.path(INDEX).read_text("utf-8"))
        return self._documents["index"]

    def context(self, url: str) -> Any:
        """The parsed context published at `url`, read once from the cache."""
        if url not in self._documents:
            name = self.context_index().get(url) or CONTEXTS.get(url)
            if name is None:
                raise UnknownContext(f"the JSON-LD context {url} is not one the ledger knows; "
                                     f"known: {', '.join(sorted(CONTEXTS))}")
            self._documents[url] = json.loads(self.path(f"contexts/{name}").read_text("utf-8"))
        return self._documents[url]

    def load_document(self, url: str, options: Any = None) -> dict[str, Any]:
        """A pyld document loader that reads only from the cache."""
        # tag "static" lets pyld keep the resolved context across operations.
        return {"contextUrl": None, "documentUrl": url, "document": self.context(url),
                "contentType": "application/ld+json", "tag": "static"}

    @contextmanager
    def jsonld(self) -> Iterator[dict[str, Any]]:
        """pyld options for one operation (offline loader, shared context cache); pyld's own
        errors are unwrapped so that a missing or unknown context surfaces as itself."""
        from pyld.context_resolver import ContextResolver

        with self._lock:
            options = {"documentLoader": self.load_document,
                       "contextResolver": ContextResolver(self._resolved, self.load_document)}
            try:
                yield options
            except Exception as error:
                cause = _ledger_cause(error)
                if cause is not None and cause is not error:
                    raise cause from error
                raise


def _ledger_cause(error: BaseException) -> LedgerError | None:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, LedgerError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


# -- pull: fill a cache from the official URLs (or a mirror of the same layout) ---------------

ACCEPT = "application/ld+json, application/json;q=0.9, */*;q=0.1"
Fetch = Callable[[str], bytes]


@dataclass(frozen=True)
class Failure:
    artifact: Artifact
    source: str
    reason: str


def fetch(url: str, timeout: float = 30.0) -> bytes:
    request = urllib.request.Request(url, headers={  # noqa: S310 - only http(s) sources
        "Accept": ACCEPT, "User-Agent": "learner-record-ledger standards pull"})
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"not an http(s) URL: {url}")
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return response.read()


def source_of(artifact: Artifact, mirror: str | None) -> str:
    """The official URL, or the same file on a mirror laid out like the cache."""
    return f"{mirror.rstrip('/')}/{artifact.path}" if mirror else artifact.url


def _check(artifact: Artifact, content: bytes) -> None:
    if not content.strip():
        raise ValueError("empty response")
    if artifact.path.endswith((".json", ".jsonld")):
        json.loads(content)  # an HTML error page is not a context


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(content)
    os.replace(partial, path)


def pull(directory: Path, mirror: str | None = None, *, fetch: Fetch = fetch,
         on_file: Callable[[Artifact], None] = lambda _: None) -> list[Failure]:
    """Download every artifact into `directory` (atomically, file by file) and write the
    context index; returns the files that failed, each with its reason."""
    failures = []
    for artifact in manifest():
        source = source_of(artifact, mirror)
        try:
            content = fetch(source)
            _check(artifact, content)
            _write(directory / artifact.path, content)
        except (OSError, ValueError) as error:
            failures.append(Failure(artifact, source, f"{type(error).__name__}: {error}"))
        on_file(artifact)
    _write(directory / INDEX, (json.dumps(CONTEXTS, indent=2) + "\n").encode())
    return failures
