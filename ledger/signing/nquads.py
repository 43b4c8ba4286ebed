"""Canonical N-Quads terms as RDFC-1.0 writes them, installed into pyld (3.3 leaves control
characters raw, so its hashes and canonical form differ from every other implementation's).

RDFC-1.0 section 4.7 (canonical N-Quads): inside a string literal BS, HT, LF, FF, CR, `"` and
`\\` are written as ECHAR (`\\b \\t \\n \\f \\r \\" \\\\`); U+0000-U+0007, U+000B, U+000E-U+001F
and U+007F as UCHAR with four upper-case hex digits. Inside an IRI, Digital Bazaar's
rdf-canonize (the reference the outside verifiers run) writes U+0000-U+0020 and ``<>"{}|^`\\``
as UCHAR; so do we, so that both give the same bytes for any document.
"""

import re
from typing import Any

from pyld import canon, jsonld
from pyld import nquads as pyld_nquads

RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

_ECHAR = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"',
          "\\": "\\\\"}
_LITERAL = re.compile('[\x00-\x1f\x7f"\\\\]')
_IRI = re.compile('[\x00-\x20<>"{}|^`\\\\]')
_UNESCAPE = re.compile(r'\\(?:([btnfr"\'\\])|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8}))')
_UNECHAR = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "'": "'",
            "\\": "\\"}


def _uchar(match: re.Match[str]) -> str:
    return f"\\u{ord(match[0]):04X}"


def escape_literal(value: str) -> str:
    """A literal's lexical form as it stands between the quotes of canonical N-Quads."""
    return _LITERAL.sub(lambda m: _ECHAR.get(m[0]) or _uchar(m), value)


def escape_iri(value: str) -> str:
    return _IRI.sub(_uchar, value)


def unescape_literal(value: str) -> str:
    """The inverse of escape_literal, for any ECHAR or UCHAR (N-Quads input)."""
    def one(match: re.Match[str]) -> str:
        if match[1]:
            return _UNECHAR[match[1]]
        return chr(int(match[2] or match[3], 16))
    return _UNESCAPE.sub(one, value)


def _term(term: dict[str, Any]) -> str:
    return f"<{escape_iri(term['value'])}>" if term["type"] == "IRI" else term["value"]


def serialize_nquad(triple: dict[str, Any], graph_name: str | None = None) -> str:
    """One quad in canonical N-Quads (pyld's signature: a triple and its graph, or a quad)."""
    o = triple["object"]
    graph = triple.get("name", {"value": graph_name})["value"]
    if o["type"] in ("IRI", "blank node"):
        obj = _term(o)
    else:
        obj = f'"{escape_literal(o["value"])}"'
        if o["datatype"] == RDF_LANGSTRING:
            obj += f"@{o['language']}" if o.get("language") else ""
        elif o["datatype"] != XSD_STRING:
            obj += f"^^<{escape_iri(o['datatype'])}>"
    quad = f"{_term(triple['subject'])} {_term(triple['predicate'])} {obj}"
    if graph is not None:
        quad += f" {graph}" if graph.startswith("_:") else f" <{escape_iri(graph)}>"
    return quad + " .\n"


def install() -> None:
    """Make pyld write (and hash) canonical N-Quads with these escapes, and read UCHARs."""
    canon.serialize_nquad = serialize_nquad
    jsonld.serialize_nquad = serialize_nquad
    pyld_nquads.serialize_nquad = serialize_nquad
    pyld_nquads.escape = escape_literal
    pyld_nquads.unescape = unescape_literal
