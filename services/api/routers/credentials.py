"""Learners, credentials (single and bulk), their lifecycle, stacks and recognitions."""

from collections.abc import Iterator
from operator import itemgetter

from fastapi import APIRouter
from pydantic import ValidationError

from ledger import commands
from ledger.committer import Statuses
from ledger.domain.actors import check_role
from ledger.inputs import IssueCredential
from services.api import answers
from services.api.deps import CREATED, Writer
from services.api.openapi import problems
from services.api.responses import FastJSONResponse
from services.api.schemas import (
    BulkIn,
    CorrectionIn,
    CredentialIn,
    LearnerIn,
    ReasonIn,
    RecognitionIn,
    SharingIn,
    StackIn,
)

router = APIRouter(prefix="/v1", tags=["learners and credentials"])
# 201 when the enrolment created a learner, 200 when it found the same person enrolled.
ENROLLED = Statuses(created=201, found=200)


@router.post("/learners", status_code=201, operation_id="enrol_learner",
             response_model=answers.LearnerEnrolled, responses={
                 200: {"model": answers.LearnerEnrolled,
                       "description": "Already enrolled (same national id, name and birth "
                                      "date): their id"},
                 **problems(403, 409)})
async def enrol_learner(body: LearnerIn, writer: Writer):
    return await writer.run(commands.enrol_learner(writer.actor, body.to_input()), body,
                            status=ENROLLED)


@router.post("/credentials", status_code=201, operation_id="issue_credential",
             response_model=answers.CredentialIssued, responses=problems(403, 404, 409))
async def issue_credential(body: CredentialIn, writer: Writer):
    return await writer.run(commands.issue_credential(writer.actor, body.to_input()), body,
                            status=CREATED)


@router.post("/credentials/bulk", operation_id="issue_credentials_in_bulk",
             response_model=answers.BulkIssued, responses=problems(403, 409))
async def issue_in_bulk(body: BulkIn, writer: Writer):
    actor = writer.actor
    check_role(actor, "provider")
    invalid: list[dict] = []
    idempotency = writer.idempotency(body.items)
    outcome = await writer.ledger.bulk_issue(actor, _validated(body.items, invalid), idempotency)
    results = sorted(outcome.body["results"] + invalid, key=itemgetter("index"))
    return FastJSONResponse({"results": results, "position": outcome.body["position"]})


def _validated(items: list[dict], invalid: list[dict]) -> Iterator[tuple[int, IssueCredential]]:
    """The valid items with their indexes, validated as they are taken (the ledger takes a
    chunk at a time); each invalid one is answered in `invalid` with its first error."""
    for index, item in enumerate(items):
        try:
            yield index, CredentialIn.model_validate(item).to_input()
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            invalid.append({"index": index, "status": "failed",
                            "error": f"{where}: {first['msg']}"})


def _lifecycle(action: str):
    async def change(credential_id: str, body: ReasonIn, writer: Writer):
        run = commands.change_status(writer.actor, credential_id, action, body.reason)
        return await writer.run(run, body)
    change.__name__ = f"{action}_credential"
    return change


for _action in ("revoke", "suspend", "reinstate"):
    router.add_api_route(f"/credentials/{{credential_id}}/{_action}", _lifecycle(_action),
                         methods=["POST"], name=f"{_action}_credential",
                         operation_id=f"{_action}_credential",
                         response_model=answers.CredentialStatusChanged,
                         responses=problems(403, 404, 409))


@router.post("/credentials/{credential_id}/correct", operation_id="correct_credential",
             response_model=answers.CredentialCorrected, responses=problems(403, 404, 409))
async def correct_credential(credential_id: str, body: CorrectionIn, writer: Writer):
    run = commands.correct_credential(writer.actor, credential_id, body.to_input())
    return await writer.run(run, body)


@router.post("/credentials/{credential_id}/share", operation_id="share_credential",
             response_model=answers.CredentialShared, responses=problems(403, 404, 409))
async def share_credential(credential_id: str, body: SharingIn, writer: Writer):
    run = commands.share_credential(writer.actor, credential_id, body.shared)
    return await writer.run(run, body)


@router.post("/stacks", status_code=201, operation_id="stack_credentials",
             response_model=answers.CredentialsStacked, responses=problems(403, 404, 409))
async def stack_credentials(body: StackIn, writer: Writer):
    return await writer.run(commands.stack_credentials(writer.actor, body.to_input()), body,
                            status=CREATED)


@router.post("/recognitions", status_code=201, operation_id="record_recognition",
             response_model=answers.RecognitionRecorded, responses=problems(403, 404, 409))
async def record_recognition(body: RecognitionIn, writer: Writer):
    return await writer.run(commands.record_recognition(writer.actor, body.to_input()), body,
                            status=CREATED)
