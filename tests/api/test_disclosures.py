"""The disclosure log: every read of a learner's record by someone else (a provider by token or
grant, an auditor, an anonymous reader through a share link) is logged with ids only; the
learner reads their log, auditors query it; the learner's own reads are not in it."""

from datetime import timedelta

import pytest

from tests.api.test_access_grants import NOW, two_providers
from tests.helpers import created, problem, transcript_of


def log_of(caller, learner_id: str, **params) -> dict:
    return created(caller.get(f"/v1/learners/{learner_id}/disclosures", **params), 200)


def test_provider_grant_auditor_and_share_link_reads_are_logged(api):
    world, own, other, _ = two_providers(api)
    learner = world.learner
    transcript_of(learner, world.learner_id, 0)  # the learner's own read: not logged
    assert log_of(learner, world.learner_id)["entries"] == []

    transcript_of(world.provider, world.learner_id, 0)
    grant = created(learner.post(f"/v1/learners/{world.learner_id}/grants", {
        "grantee_id": world.provider_id, "until": (NOW + timedelta(days=2)).isoformat()}))
    transcript_of(world.provider, world.learner_id, grant["position"])
    auditor = api.as_("auditor")
    transcript_of(auditor, world.learner_id, 0)
    link = created(learner.post(f"/v1/learners/{world.learner_id}/share-links", {
        "audience": "a recruiter", "expires_at": (NOW + timedelta(days=2)).isoformat(),
        "credential_ids": [other]}))
    assert api.http.get(f"/shared/{link['secret']}", headers={"Accept": "text/html"}
                        ).status_code == 200

    entries = log_of(learner, world.learner_id)["entries"]
    newest_first = [(e["what"], e["who"]["role"], e["who"]["organisation_id"], e["grant_id"],
                     e["link_id"], e["credential_ids"]) for e in entries]
    assert newest_first == [
        ("share_link", "anonymous", None, None, link["id"], [other]),
        ("transcript", "auditor", None, None, None, None),
        ("transcript", "provider", world.provider_id, grant["id"], None, None),
        ("transcript", "provider", world.provider_id, None, None, [own]),
    ]
    assert entries[0]["who"]["principal_id"] is None
    assert entries[-1]["who"]["principal_id"]
    assert all(e["at"].startswith("2026-06-01T09:00") for e in entries)

    # Auditors query it by learner; paging walks back from the newest.
    queried = created(auditor.get("/v1/disclosures", learner_id=world.learner_id), 200)
    assert [e["id"] for e in queried["entries"]] == [e["id"] for e in entries]
    first = log_of(learner, world.learner_id, limit=3)
    assert len(first["entries"]) == 3 and first["next"] == entries[2]["id"]
    rest = log_of(learner, world.learner_id, limit=3, before=first["next"])
    assert [e["id"] for e in rest["entries"]] == [entries[3]["id"]] and rest["next"] is None


def test_only_the_learner_and_auditors_read_the_log(api):
    world, *_ = two_providers(api)
    problem(world.provider.get(f"/v1/learners/{world.learner_id}/disclosures"), 403)
    other = api.as_("learner", world.new_learner())
    problem(other.get(f"/v1/learners/{world.learner_id}/disclosures"), 403)
    problem(world.learner.get("/v1/disclosures", learner_id=world.learner_id), 403)
    problem(world.learner.get(f"/v1/learners/{world.learner_id}/disclosures", limit=0), 422)


def test_exports_read_by_an_auditor_are_logged(api):
    world, *_ = two_providers(api)
    auditor = api.as_("auditor")
    assert auditor.get(f"/v1/learners/{world.learner_id}/exports/edc").status_code == 200
    entries = log_of(world.learner, world.learner_id)["entries"]
    assert [(e["what"], e["who"]["role"]) for e in entries] == [("export:edc", "auditor")]


def test_the_log_is_append_only(api):
    world, *_ = two_providers(api)
    transcript_of(world.provider, world.learner_id, 0)
    api.ledger.disclosure_log.flush()
    database = api.ledger.database
    for statement in ("UPDATE disclosures SET role = 'admin'", "DELETE FROM disclosures"):
        with pytest.raises(Exception, match="disclosures is append-only"), \
                database.transaction() as cursor:
            cursor.execute(statement)
    assert len(log_of(world.learner, world.learner_id)["entries"]) == 1


def test_a_public_credential_fetched_anonymously_is_logged(api):
    world, own, *_ = two_providers(api)
    made = created(world.learner.post(f"/v1/credentials/{own}/share", {"shared": True}), 200)
    shared = api.anonymous().get(f"/v1/credentials/{own}/ob3", min_position=made["position"])
    assert shared.status_code == 200, shared.text
    entries = log_of(world.learner, world.learner_id)["entries"]
    assert [(e["what"], e["who"]["role"], e["link_id"], e["credential_ids"]) for e in entries
            ] == [("credential", "anonymous", None, [own])]
