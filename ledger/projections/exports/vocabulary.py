"""The EU controlled vocabularies the exports refer to (Europass/ELM concepts and authority
tables), as concept IRIs and as the ELM JSON-LD concept nodes built from them."""

from typing import Any

import pycountry

SNB = "http://data.europa.eu/snb"
AUTHORITY = "http://publications.europa.eu/resource/authority"

ECTS = f"{SNB}/education-credit/6fcec5c5af"
PROGRAMME_QUALITY_ASSURANCE = f"{SNB}/accreditation/820101cba6"
# Modes of learning and assessment: how the API's participation forms map onto them.
MODES = {"online": ("920fbb3cbe", "Online"), "onsite": ("9191af2ed9", "Presential"),
         "blended": ("e92d221e4d", "Blended")}


def eqf_url(level: int) -> str:
    return f"{SNB}/eqf/{level}"


def isced_f_url(code: str) -> str:
    return f"{SNB}/isced-f/{code}"


def mode_url(participation_form: str) -> str:
    return f"{SNB}/learning-assessment/{MODES[participation_form][0]}"


def concept(iri: str, scheme: str, label: str | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {"id": iri, "type": "Concept",
                            "inScheme": {"id": scheme, "type": "ConceptScheme"}}
    if label:
        node["prefLabel"] = {"en": label}
    return node


def snb(vocabulary: str, code: str, label: str | None = None) -> dict[str, Any]:
    """A concept of one of the Europass vocabularies under data.europa.eu/snb."""
    return concept(f"{SNB}/{vocabulary}/{code}", f"{SNB}/{vocabulary}/25831c2", label)


def eqf(level: int) -> dict[str, Any]:
    return snb("eqf", str(level), f"Level {level}")


def isced_f(code: str) -> dict[str, Any]:
    return snb("isced-f", code)


def mode(participation_form: str) -> dict[str, Any]:
    code, label = MODES[participation_form]
    return snb("learning-assessment", code, label)


def ects() -> dict[str, Any]:
    return snb("education-credit", "6fcec5c5af", "European Credit Transfer System")


def programme_quality_assurance() -> dict[str, Any]:
    return snb("accreditation", "820101cba6", "Programme Quality Assurance")


def country(alpha_2: str) -> dict[str, Any]:
    """A country of the EU authority table (keyed by ISO 3166-1 alpha-3)."""
    found = pycountry.countries.get(alpha_2=alpha_2)
    if found is None:
        raise ValueError(f"{alpha_2} is not an ISO 3166-1 alpha-2 country code")
    return concept(f"{AUTHORITY}/country/{found.alpha_3}", f"{AUTHORITY}/country", found.name)


def language(tag: str) -> dict[str, Any] | None:
    """A language of the EU authority table (keyed by ISO 639-3), or None when unknown."""
    primary = tag.split("-", 1)[0].lower()
    key = "alpha_2" if len(primary) == 2 else "alpha_3"
    found = pycountry.languages.get(**{key: primary})
    if found is None:
        return None
    return concept(f"{AUTHORITY}/language/{found.alpha_3.upper()}", f"{AUTHORITY}/language",
                   found.name)
