"""The OpenAPI document as a contract: the problem-details schema every error is declared with,
stable operation ids, and the responses every operation can give because of what it takes
(a token, a body, `min_position`)."""

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from services.api.errors import PROBLEM


class ValidationIssue(BaseModel):
    location: list[str | int] = Field(examples=[["body", "learner_id"]])
    message: str = Field(examples=["Field required"])
    type: str = Field(examples=["missing"])


class Problem(BaseModel):
    """RFC 9457 problem details: every error the API sends (application/problem+json)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "type": "https://ledger.example/problems/invalid-request", "title": "Invalid request",
        "status": 422, "detail": "body.learner_id: Field required",
        "errors": [{"location": ["body", "learner_id"], "message": "Field required",
                    "type": "missing"}]}]})

    type: str = Field(description="a URI naming the kind of problem")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str = Field(description="what is wrong, for a person")
    errors: list[ValidationIssue] | None = Field(
        None, description="422 from request validation: every invalid input")
    head: int | None = Field(None, description="400 for a `min_position` beyond the store's "
                                               "head: the head")


WHY = {400: "Bad request (e.g. `min_position` beyond the store's head)",
       401: "No valid bearer token", 403: "The caller's role or scope does not allow this",
       404: "Not found", 409: "Refused by a rule of the ledger, or a conflicting write",
       410: "Gone: used, expired or revoked",
       413: "The body is too large", 422: "Invalid request: see `errors`",
       429: "Every worker is busy: retry after Retry-After",
       503: "Unavailable (read models not caught up within the read wait, standards cache "
            "missing...): retry after Retry-After"}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` of a route: the errors it can send, each a Problem (problem+json).
    Those that follow from the route's signature (401 with a token, 413 and 422 with a body
    or parameters, 400 and 503 with `min_position`) are added by `install`."""
    return {status: {"model": Problem, "description": WHY.get(status, "Error")}
            for status in statuses}


def install(app: FastAPI) -> None:
    """Operation ids are the route's name (explicit `operation_id`s win); the document is built
    once, with each operation's implied problems and every problem as problem+json."""

    generate = app.openapi  # FastAPI's, with every setting of the app
    built: list[dict[str, Any]] = []

    def build() -> dict[str, Any]:
        if not built:
            built.append(_as_contract(generate()))
        return built[0]

    app.openapi = build  # type: ignore[method-assign]


def operation_id(route: APIRoute) -> str:
    return route.name


IMPLIED = (("security", (401,)), ("requestBody", (400, 413, 422)), ("parameters", (422,)))


def _as_contract(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(_schemas_of(Problem))
    ref = {"$ref": "#/components/schemas/Problem"}
    for path in document.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            implied = {s for key, codes in IMPLIED if operation.get(key) for s in codes}
            names = {p.get("name") for p in operation.get("parameters", [])}
            if "min_position" in names:
                implied |= {400, 503}
            for status in sorted(implied):
                responses.setdefault(str(status), {"description": WHY[status]})
            for status, response in responses.items():
                if status[0] in "45" and _is_problem(response, ref):
                    response["content"] = {PROBLEM: {"schema": ref}}
                    if response.get("description") == "Validation Error":  # FastAPI's
                        response["description"] = WHY[422]
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document


def _is_problem(response: dict[str, Any], ref: dict[str, str]) -> bool:
    """Declared without a body of its own (or as a Problem, or FastAPI's default 422)."""
    schemas = [c.get("schema") for c in response.get("content", {}).values()]
    return all(s in (None, {}, ref, {"$ref": "#/components/schemas/HTTPValidationError"})
               for s in schemas)


def _schemas_of(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    found = schema.pop("$defs", {})
    return {**found, model.__name__: schema}
