"""Limits on a credential document someone posts, checked before any JSON-LD processing:
nesting depth, JSON values, proofs per document and blank-node identifiers. A document past
one is refused (422) without being expanded or canonicalised.

The limits are far above what the ledger's own exports need (a CLR of 200 credentials is about
13 levels deep and 60,000 values) and far below what makes the parsers recurse or spin.
"""

from typing import Any

from ledger.canonical_pool import TooComplex

MAX_DEPTH = 32  # nested objects and arrays
MAX_VALUES = 200_000  # every object, array, string, number, boolean and null
MAX_PROOFS = 4  # per document (the CLR and each credential inside it)
MAX_BLANK_NODE_IDS = 64  # distinct "_:" identifiers; the ledger's own documents use none


def check(document: Any) -> None:
    """Raise TooComplex when the document exceeds a limit; walks it without recursion."""
    values = 0
    blank_ids: set[str] = set()
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        values += 1
        if values > MAX_VALUES:
            raise TooComplex(f"the document holds more than {MAX_VALUES} JSON values")
        if isinstance(value, str):
            if value.startswith("_:"):
                blank_ids.add(value)
                if len(blank_ids) > MAX_BLANK_NODE_IDS:
                    raise TooComplex(f"the document names more than {MAX_BLANK_NODE_IDS} "
                                     "blank nodes")
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise TooComplex(f"the document is nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, dict):
            proofs = value.get("proof")
            if isinstance(proofs, list) and len(proofs) > MAX_PROOFS:
                raise TooComplex(f"a document carries more than {MAX_PROOFS} proofs")
            children = list(value.keys()) + list(value.values())
        else:
            children = value
        stack.extend((child, depth + 1) for child in children)
