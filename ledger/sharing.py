"""The reading side of a learner's consent: their grants and share links as they list them,
what a share link opens, and the disclosure log of every read of the record by someone else."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

from ledger.access import grant_state, is_the_learner
from ledger.calendar import Calendar
from ledger.domain.actors import Actor
from ledger.domain.errors import Forbidden, Gone, NotFound
from ledger.portability import Portability
from ledger.projections.store import ReadModelStore
from ledger.projections.transcripts import assemble
from ledger.store.disclosures import Disclosure, DisclosureLog
from ledger.store.share_links import ShareLink, ShareLinks

SUMMARY = ("id", "kind", "title", "provider_id", "awarded_on", "ects", "eqf_level", "status")


class Sharing:
    def __init__(self, read_models: ReadModelStore, links: ShareLinks, log: DisclosureLog,
                 calendar: Calendar, portability: Portability,
                 verify: Callable[[str], dict[str, Any]]) -> None:
        self.read_models = read_models
        self.links = links
        self.log = log
        self.calendar = calendar
        self.portability = portability
        self.verify = verify

    def now(self) -> datetime:
        return self.calendar.clock().astimezone(UTC)

    # -- the disclosure log ----------------------------------------------------------------

    def disclosed(self, actor: Actor | None, learner_id: str, what: str, *,
                  grant_id: str | None = None, link_id: str | None = None,
                  credential_ids: list[str] | None = None) -> None:
        """Log a read of the learner's record, unless the reader is the learner."""
        if is_the_learner(actor, learner_id):
            return
        at = self.now().isoformat(timespec="milliseconds")
        if actor is None:
            entry = Disclosure.of(learner_id, at, what, link_id=link_id,
                                  credential_ids=credential_ids)
        else:
            entry = Disclosure.of(learner_id, at, what, principal_id=actor.principal_id,
                                  role=actor.role, organisation_id=actor.scope
                                  if actor.role in ("provider", "recognition_body") else None,
                                  grant_id=grant_id, link_id=link_id,
                                  credential_ids=credential_ids)
        self.log.record(entry)

    def disclosures(self, actor: Actor, learner_id: str, limit: int, before: int | None
                    ) -> dict[str, Any]:
        """The learner's log (theirs and auditors' to read), newest first."""
        check_learner_or_auditor(actor, learner_id, "read the disclosure log of")
        return self.log.page(learner_id, limit, before)

    # -- grants ----------------------------------------------------------------------------

    def grants(self, actor: Actor, learner_id: str) -> list[dict[str, Any]]:
        check_learner_or_auditor(actor, learner_id, "list the access grants of")
        doc = self.read_models.get("transcripts", f"learner:{learner_id}")
        if doc is None:
            raise NotFound(f"learner {learner_id} not found")
        notes = self.links.grant_notes(learner_id)
        now = self.now()
        grants = [{**grant, "learner_id": learner_id, "note": notes.get(grant["id"]),
                   "state": grant_state(grant, now)}
                  for grant in doc.get("grants", {}).values()]
        return sorted(grants, key=lambda g: g["granted_at"], reverse=True)

    def organisations(self) -> list[dict[str, str]]:
        """Every provider and recognition body in the register (a grant form's choices), by
        name."""
        rows = self.read_models.database.read(
            "SELECT key, doc FROM rm_register WHERE kind_of_entry = 'provider' "
            "ORDER BY sort_key, key")
        found = []
        for row in rows:
            doc = orjson.loads(row["doc"])
            found.append({"id": row["key"], "name": doc.get("name") or row["key"],
                          "kind": "recognition_body" if doc.get("kind") == "recognition_body"
                          else "provider"})
        return found

    # -- share links -----------------------------------------------------------------------

    def share_links(self, actor: Actor, learner_id: str) -> list[dict[str, Any]]:
        check_learner_or_auditor(actor, learner_id, "list the share links of")
        now = self.now()
        return [link.public(now) for link in self.links.of_learner(learner_id)]

    def open_link(self, secret: str, *, documents: bool = True) -> dict[str, Any]:
        """What a share link shows, to anyone holding it: the chosen credentials with their
        verification (and, with `documents`, each one's signed OB 3.0 credential). Unknown:
        404; revoked or expired: 410. Each opening is logged as an anonymous read."""
        link = self.links.by_secret(secret)
        if link is None:
            raise NotFound("no such share link")
        state = link.state(self.now())
        if state != "active":
            raise Gone(f"this share link was {state}: ask its owner for a new one")
        doc = assemble(self.read_models.owned("transcripts", link.learner_id))
        if doc is None or doc.get("erased"):
            raise Gone("this share link's record is no longer available")
        chosen = _chosen(link, doc)
        record = self.portability.record(link.learner_id) if documents and chosen else None
        credentials = []
        for row in chosen:
            item = {key: row.get(key) for key in SUMMARY}
            provider = self.read_models.get("register", row["provider_id"])
            item["provider_name"] = provider.get("name") if provider else None
            item["verification"] = self.verify(row["id"])
            if record is not None:
                credential = record.credential(row["id"])
                item["document"] = (self.portability.signed_ob3(record, credential)
                                    if credential is not None else None)
            credentials.append(item)
        self.disclosed(None, link.learner_id, "share_link", link_id=link.id,
                       credential_ids=[row["id"] for row in chosen])
        return {"link": {"id": link.id, "audience": link.audience,
                         "expires_at": link.expires_at, "whole_record": link.credential_ids
                         is None}, "credentials": credentials}


def _chosen(link: ShareLink, doc: dict[str, Any]) -> list[dict[str, Any]]:
    rows = doc["credentials"]
    if link.credential_ids is None:
        return sorted(rows.values(), key=lambda c: (c["awarded_on"], c["id"]))
    return [rows[c] for c in link.credential_ids if c in rows]


def check_learner_or_auditor(actor: Actor, learner_id: str, action: str) -> None:
    if actor.role == "auditor" or is_the_learner(actor, learner_id):
        return
    raise Forbidden(f"only the learner or an auditor may {action} a learner's record")
