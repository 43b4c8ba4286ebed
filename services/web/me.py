"""The signed-in person's own pages (/me): a learner's transcript with the names of providers,
programmes and recognition bodies, each credential's history and recognitions, progress along
pathways, and downloads of every export; other roles get a page pointing to their tools.
Every read goes through the ledger's own read methods with the signed-in actor, so the same
authorisation holds as on the API."""

from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from ledger.application import Ledger
from ledger.domain.actors import Actor
from ledger.domain.errors import NotFound
from ledger.portability import MEDIA_TYPES
from services.api.deps import LedgerDep
from services.web.pages import render
from services.web.session import SignedIn

router = APIRouter(include_in_schema=False)

Document = dict[str, Any]
# The exports a learner downloads (GET /v1/learners/{id}/exports/{kind}), in the page's order.
EXPORTS = ("pdf", "clr", "ob3", "edc", "elmo")
SUFFIX = {"pdf": "pdf", "clr": "json", "ob3": "json", "edc": "jsonld", "elmo": "xml"}
PRIVATE = {"Cache-Control": "no-store"}


@router.get("/me")
def my_record(request: Request, actor: SignedIn, ledger: LedgerDep):
    if actor.role != "learner":
        return render(request, "me_other.html", role=actor.role, scope=actor.scope)
    return render(request, "me.html", **learner_page(ledger, actor))


@router.get("/me/exports/{kind}")
def my_export(kind: str, actor: SignedIn, ledger: LedgerDep):
    """One of the learner's exports, as the API gives it, saved as a file."""
    learner_id = _learner(actor)
    export = ledger.portability.export(actor, learner_id, kind)
    name = f"record-{learner_id}-{kind}.{SUFFIX.get(kind, 'txt')}"
    return Response(export.content, media_type=export.media_type, headers={
        **PRIVATE, "Content-Disposition": f'attachment; filename="{name}"',
        "Content-Digest": f"sha-256=:{export.digest_base64}:"})


@router.get("/me/credentials/{credential_id}/ob3")
def my_credential(credential_id: str, actor: SignedIn, ledger: LedgerDep):
    """One signed OB 3.0 credential of the learner's, saved as a file."""
    _learner(actor)
    document = ledger.portability.credential_ob3(actor, credential_id)
    return Response(orjson.dumps(document), media_type=MEDIA_TYPES["ob3"], headers={
        **PRIVATE,
        "Content-Disposition": f'attachment; filename="credential-{credential_id}.json"'})


def _learner(actor: Actor) -> str:
    if actor.role != "learner" or not actor.scope:
        raise NotFound("only a learner has a record to download")
    return actor.scope


# -- the learner's page, from the ledger's reads ------------------------------------------------


def learner_page(ledger: Ledger, actor: Actor) -> Document:
    transcript = ledger.transcript(actor, actor.scope)
    names = Names(ledger)
    recognitions: dict[str, list[Document]] = {}
    for recognition in transcript["recognitions"]:
        recognitions.setdefault(recognition["credential_id"], []).append(
            {**recognition, "body_name": names.of(recognition["body_id"])})
    titles = {c["id"]: c["title"] for c in transcript["credentials"]}
    credentials = [
        {**c, "provider_name": names.of(c["provider_id"]),
         "history": [{**h, "kind": h["event"].rsplit(".", 1)[-1]} for h in c["history"]],
         "recognitions": recognitions.get(c["id"], []),
         "component_titles": [titles.get(k, k) for k in c.get("components") or []],
         "part_of_titles": [titles.get(k, k) for k in c.get("part_of") or []]}
        for c in reversed(transcript["credentials"])]  # the latest award first
    return {"transcript": transcript, "learner": transcript.get("learner"),
            "credentials": credentials, "pathways": pathway_progress(ledger, transcript, names),
            "exports": EXPORTS}


class Names:
    """Names of organisations from the register's read model, each looked up once."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.known: dict[str, str | None] = {}

    def of(self, key: str | None) -> str | None:
        if not key:
            return None
        if key not in self.known:
            doc = self.ledger.read_models.get("register", key) or {}
            self.known[key] = doc.get("name") or doc.get("title")
        return self.known[key]


def pathway_progress(ledger: Ledger, transcript: Document, names: Names) -> list[Document]:
    """Every pathway that one of the learner's programmes stacks into: how many of the
    components it needs the learner holds active credentials for ("2 of 3"), and whether the
    stack was awarded (and not revoked)."""
    active = {c["programme_id"]: c for c in transcript["credentials"]
              if c.get("kind") == "credential" and c["status"] == "active"
              and c.get("programme_id")}
    held_programmes = {c.get("programme_id") for c in transcript["credentials"]}
    awarded = {c["pathway_id"]: c for c in transcript["credentials"]
               if c.get("kind") == "stack" and c.get("pathway_id")}
    pathway_ids: list[str] = []
    for programme_id in sorted(p for p in held_programmes if p):
        doc = ledger.read_models.get("register", programme_id) or {}
        pathway_ids += [p for p in doc.get("pathways", []) if p not in pathway_ids]
    progress = []
    for pathway_id in pathway_ids:
        pathway = ledger.public_register.pathway(pathway_id)
        if pathway is None:
            continue
        components = pathway["components"]
        needed = pathway.get("min_components") or len(components)
        held = [c for c in components if c["id"] in active]
        ects = sum(active[c["id"]].get("ects") or 0 for c in held)
        stack = awarded.get(pathway_id)
        progress.append({
            "id": pathway_id, "title": pathway["title"],
            "provider_name": names.of(pathway.get("provider_id")),
            "held": min(len(held), needed), "needed": needed, "ects": ects,
            "min_ects": pathway.get("min_ects"),
            "components": [{**c, "held": c["id"] in active} for c in components],
            "awarded": stack is not None and stack["status"] != "revoked",
            "stack_status": stack["status"] if stack else None})
    return progress
