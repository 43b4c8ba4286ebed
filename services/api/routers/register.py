"""The public register: keyset-paginated searches of programmes and providers, and single
entries (programmes, providers, pathways)."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from ledger.domain.errors import NotFound
from ledger.register_search import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    ProgrammeFilters,
    ProviderFilters,
)
from services.api import answers
from services.api.deps import LedgerDep, MinPosition
from services.api.openapi import problems
from services.api.responses import FastJSONResponse
from services.api.schemas import LANGUAGE_TAG, ParticipationForm

router = APIRouter(prefix="/v1", tags=["register"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="entries per page")]
Cursor = Annotated[str | None, Query(max_length=2000,
                                     description="`next` of the previous page (opaque)")]
Text = Annotated[str | None, Query(max_length=200, description="a substring of the title")]
History = Annotated[bool, Query(description="include each entry's QA decisions")]


@router.get("/register/microcredentials", operation_id="search_programmes",
            response_model=answers.ProgrammePage)
def register_programmes(
        ledger: LedgerDep, q: Text = None, provider_id: str | None = None,
        isced_f: Annotated[str | None, Query(pattern=r"^[0-9]{2,4}$", description=(
            "ISCED-F field: 2, 3 or 4 digits (broad, narrow or detailed)"))] = None,
        eqf_level: Annotated[int | None, Query(ge=1, le=8)] = None,
        ects_min: Annotated[float | None, Query(ge=0)] = None,
        ects_max: Annotated[float | None, Query(ge=0)] = None,
        language: Annotated[str | None, Query(pattern=LANGUAGE_TAG)] = None,
        participation_form: ParticipationForm | None = None,  # type: ignore[valid-type]
        status: Annotated[list[Literal["approved", "review_due", "withdrawn"]] | None, Query(
            description="repeatable; default approved (listed today)")] = None,
        include_history: History = False, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None,
        min_position: MinPosition = None):
    filters = ProgrammeFilters(
        q=q, provider_id=provider_id, isced_f=isced_f, eqf_level=eqf_level,
        ects_min=ects_min, ects_max=ects_max, language=language,
        participation_form=participation_form and str(participation_form),
        status=tuple(status or ("approved",)),
        include_history=include_history)
    return FastJSONResponse(ledger.public_register.programmes(filters, limit=limit,
                                                              cursor=cursor))


@router.get("/register/providers", operation_id="search_providers",
            response_model=answers.ProviderPage)
def register_providers(
        ledger: LedgerDep, q: Text = None, provider_id: str | None = None,
        status: Annotated[list[Literal["accredited", "lapsed", "withdrawn"]] | None, Query(
            description="repeatable; default accredited (today)")] = None,
        include_history: History = False, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None,
        min_position: MinPosition = None):
    filters = ProviderFilters(q=q, provider_id=provider_id,
                              status=tuple(status or ("accredited",)),
                              include_history=include_history)
    return FastJSONResponse(ledger.public_register.providers(filters, limit=limit,
                                                             cursor=cursor))


@router.get("/register/microcredentials/{programme_id}", operation_id="get_programme",
            response_model=answers.ProgrammeEntry, responses=problems(404))
def register_programme(programme_id: str, ledger: LedgerDep, min_position: MinPosition = None):
    return _found(ledger.public_register.programme(programme_id),
                  f"programme {programme_id} is not in the register")


@router.get("/register/providers/{provider_id}", operation_id="get_provider",
            response_model=answers.ProviderEntry, responses=problems(404))
def register_provider(provider_id: str, ledger: LedgerDep, min_position: MinPosition = None):
    return _found(ledger.public_register.provider(provider_id),
                  f"provider {provider_id} is not in the register")


@router.get("/pathways/{pathway_id}", operation_id="get_pathway",
            response_model=answers.PathwayEntry, responses=problems(404))
def pathway(pathway_id: str, ledger: LedgerDep, min_position: MinPosition = None):
    return _found(ledger.public_register.pathway(pathway_id), f"pathway {pathway_id} not found")


def _found(entry: dict | None, missing: str) -> FastJSONResponse:
    """The entry, or a 404 saying what is missing. Answered as it is: the register's entries
    are JSON already, and FastAPI's generic encoding of a page took longer than its reads."""
    if entry is None:
        raise NotFound(missing)
    return FastJSONResponse(entry)
