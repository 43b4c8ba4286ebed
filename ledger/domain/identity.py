"""Whether two sets of personal details name the same person: names and birth date compared
after Unicode NFKC normalisation, case folding and collapsing of spaces (so a name in
full-width letters, in capitals, Georgian Mtavruli included, or with a decomposed accent
matches the name as recorded)."""

import unicodedata
from typing import Any

COMPARED = ("given_name", "family_name", "birth_date")


def folded(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value or ""))
    return " ".join(text.casefold().split())


def same_person(recorded: dict[str, Any], claimed: dict[str, Any]) -> bool:
    return all(folded(recorded.get(field)) == folded(claimed.get(field)) for field in COMPARED)
