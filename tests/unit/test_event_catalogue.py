"""The event catalogue: stable topics and public types, the older releases' topics resolving to
today's classes, upcasting through the library's mechanism, the published schemas current and
fitting an event of every type the domain raises."""

from datetime import UTC, date, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import resolve_topic
from jsonschema import Draft202012Validator

from ledger import event_schemas
from ledger.domain import catalogue
from ledger.domain.actors import Actor
from ledger.domain.learner import LearnerRecord
from ledger.domain.pathway import Pathway
from ledger.domain.programme import MicroCredential
from ledger.domain.provider import Provider
from ledger.projections import wire
from ledger.projections.envelope import Envelope, event_type
from ledger.store.topics import register_catalogue
from ledger.store.transcoder import OrjsonTranscoder

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 6, 1)
QA, ADMIN = Actor("qa-1", "qa_body"), Actor("admin-1", "admin")


def test_every_event_has_one_stable_topic_one_public_type_and_a_version() -> None:
    topics = [e.topic for e in catalogue.EVENTS]
    types = [e.type for e in catalogue.EVENTS]
    assert len(set(topics)) == len(topics) and len(set(types)) == len(types)
    for event in catalogue.EVENTS:
        assert event.topic == f"ledger.{event.name}"
        assert event.type.split(".") == [event.aggregate, event.name]
        assert isinstance(event.version, int) and event.version >= 1
        assert event.fields, event.type
    # Every event class an aggregate declares is in the catalogue, and nothing else is.
    declared = {value for aggregate in catalogue.AGGREGATES.values()
                for value in vars(aggregate).values()
                if isinstance(value, type) and issubclass(value, Aggregate.Event)
                and value is not aggregate.Event}
    assert declared == {e.event for e in catalogue.EVENTS}


def test_the_topics_of_earlier_releases_resolve_to_todays_classes_and_public_types() -> None:
    register_catalogue()
    aggregate_topics = {a.TOPIC for a in catalogue.AGGREGATES.values()}
    for old, new in catalogue.MODULE_TOPICS.items():
        assert resolve_topic(old) is resolve_topic(new), old
        if new in aggregate_topics:
            continue
        # The public type (Envelope.type, the CloudEvents type) is what the older release
        # published for the same event: the part of its module path after the colon.
        assert catalogue.BY_TOPIC[old] is catalogue.BY_TOPIC[new]
        assert event_type(old) == event_type(new) == old.rsplit(":", 1)[-1]
    assert set(catalogue.MODULE_TOPICS.values()) <= set(catalogue.BY_TOPIC) | aggregate_topics


# -- upcasting: the library's class_version and upcast_vN_vN+1, on both read paths -----------

class Thing(Aggregate):
    """A test aggregate whose `Renamed` event is at version 2."""

    TOPIC = "tests.catalogue.Thing"

    class Event(Aggregate.Event):
        class_version = 1

    class Made(Aggregate.Created, Event):
        TOPIC = "tests.catalogue.Made"

    Created = Made

    class Renamed(Event):
        TOPIC = "tests.catalogue.Renamed"
        class_version = 2
        name: str
        language: str  # new in version 2: the older events were all Georgian

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["language"] = "ka"

        def apply(self, thing: "Thing") -> None:
            thing.name = (self.name, self.language)

    def __init__(self) -> None:
        self.name = None


def test_a_stored_older_version_is_upcast_by_the_library_and_for_the_projections() -> None:
    mapper = Mapper(transcoder=OrjsonTranscoder())
    thing = Thing._create(Thing.Made, id=uuid4())
    thing.trigger_event(Thing.Renamed, name="Tbilisi", language="en")
    made, renamed = (mapper.to_stored_event(e) for e in thing.collect_events())
    assert b'"class_version":2' in renamed.state  # the library records the version
    stamp = {"_type_": "datetime_iso", "_data_": datetime.now(UTC).isoformat()}
    older = StoredEvent(originator_id=thing.id, originator_version=3,
                        topic="tests.catalogue.Renamed",
                        state=OrjsonTranscoder().encode({"timestamp": stamp, "name": "Batumi"}))
    events = [mapper.to_domain_event(s) for s in (made, renamed, older)]
    rebuilt = None
    for event in events:
        rebuilt = event.mutate(rebuilt)
    assert rebuilt.name == ("Batumi", "ka")
    # The projections' path reads raw payloads: the catalogue entry applies the same upcasters.
    entry = catalogue.EventType("Thing", Thing.Renamed)
    assert entry.upcast({"name": "Batumi"}) == {"name": "Batumi", "language": "ka"}
    _, current = OrjsonTranscoder().decode_event(renamed.state)
    assert entry.upcast(current) == {"name": "Tbilisi", "language": "en"}


# -- the published schemas ----------------------------------------------------------------------

def test_the_published_schemas_are_those_the_catalogue_generates() -> None:
    folder = ROOT / event_schemas.FOLDER
    published = {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir()}
    assert published == event_schemas.files(), (
        "docs/events is out of date: run `ledger events schemas`")


def every_event_type() -> list:
    """A short history that raises every event type of the catalogue, through the rules."""
    provider = Provider.register(actor=ADMIN, today=date(2020, 1, 1),
                                 name="Tbilisi State University",
                                 country="GE", kind="higher_education", legal_identifier=None)
    for valid_from, valid_until in (("2020-01-01", "2025-12-31"), ("2026-01-01", "2030-12-31")):
        provider.accredit(actor=QA, valid_from=valid_from, valid_until=valid_until,
                          scope="ICT", decision_reference="NCEQE-2020-17")
    issuer = Actor("issuer-1", "provider", str(provider.id))
    spec = {"title": "Statistics", "learning_outcomes": ["Read a table"], "ects": 5.0,
            "eqf_level": 5, "assessment_type": "exam", "participation_form": "online",
            "quality_assurance": "internal"}
    programmes = []
    for title in ("Statistics", "Reporting"):
        programme = MicroCredential.submit(actor=issuer, provider_id=str(provider.id),
                                           specification={**spec, "title": title},
                                           today=date(2023, 12, 1))
        programme.approve(actor=QA, approved_on="2024-01-15", review_due="2026-12-31",
                          today=TODAY)
        programmes.append(programme)
    rejected = MicroCredential.submit(actor=issuer, provider_id=str(provider.id),
                                      specification=spec, today=date(2023, 12, 1))
    rejected.reject(actor=QA, reason="incomplete", today=date(2024, 1, 1))
    pathway = Pathway.define(actor=issuer, provider_id=str(provider.id), title="Data Analyst",
                             components=[str(p.id) for p in programmes], min_ects=None,
                             min_components=None, today=date(2024, 2, 1))
    record = LearnerRecord.enrol(actor=issuer, today=date(2024, 9, 1))
    ids = [str(uuid4()) for _ in range(3)]
    for credential_id, programme in zip(ids, programmes, strict=False):
        record.issue(actor=issuer, credential_id=credential_id, provider=provider,
                     programme=programme, awarded_on="2025-03-01", grade="A", assessment=None,
                     today=TODAY, status_index=lambda: 7)
    record.stack(actor=issuer, stack_id=ids[2], pathway=pathway, provider=provider,
                 component_ids=ids[:2], awarded_on="2025-04-01", today=TODAY)
    record.suspend(actor=issuer, credential_id=ids[0], reason="inquiry", today=date(2025, 5, 1))
    record.reinstate(actor=issuer, credential_id=ids[0], reason="cleared", today=date(2025, 5, 2))
    record.correct(actor=issuer, credential_id=ids[0], changes={"grade": "B"}, reason="re-mark",
                   provider=provider, programme=programmes[0], today=TODAY)
    learner = Actor("learner-1", "learner", str(record.id))
    record.share(actor=learner, credential_id=ids[0], shared=True, today=date(2025, 5, 3))
    record.share(actor=learner, credential_id=ids[0], shared=False, today=date(2025, 5, 4))
    record.recognise(actor=Actor("enic-1", "recognition_body", "enic"), recognition_id="r-1",
                     credential_id=ids[1], decision="recognised", toward="MSc", ects_recognised=3,
                     decided_on="2025-06-01", reference=None, today=TODAY)
    record.revoke(actor=issuer, credential_id=ids[1], reason="annulled", today=date(2025, 6, 2))
    now = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
    record.grant_access(actor=learner, grant_id="g-1", grantee=provider,
                        until=datetime(2025, 7, 1, tzinfo=UTC), now=now)
    record.revoke_access(actor=learner, grant_id="g-1", today=date(2025, 6, 2))
    record.erase(actor=ADMIN, reason="data_subject_request", today=date(2025, 6, 3))
    pathway.retire(actor=issuer, reason="superseded", today=date(2025, 7, 1))
    programmes[1].withdraw(actor=QA, reason="closed", effective_on="2025-07-01")
    provider.withdraw_accreditation(actor=QA, reason="lapsed", effective_on="2029-01-01")
    return [e for aggregate in (provider, *programmes, rejected, pathway, record)
            for e in aggregate.collect_events()]


def test_an_event_of_every_type_fits_its_published_schema() -> None:
    mapper, transcoder = Mapper(transcoder=OrjsonTranscoder()), OrjsonTranscoder()
    seen = set()
    for event in every_event_type():
        stored = mapper.to_stored_event(event)
        known = catalogue.BY_TOPIC[stored.topic]
        _, data = transcoder.decode_event(stored.state)
        validator = Draft202012Validator(event_schemas.schema(known),
                                         format_checker=Draft202012Validator.FORMAT_CHECKER)
        errors = [e.message for e in validator.iter_errors(data)]
        assert errors == [], (known.type, errors)
        seen.add(known.type)
    assert seen == {e.type for e in catalogue.EVENTS}


@pytest.mark.parametrize("change", [{"credential_id": 7}, {"unknown": "field"}, {"drop": "actor"},
                                    {"effective_on": "2 June 2025"}])
def test_the_schemas_refuse_a_payload_of_the_wrong_shape(change: dict) -> None:
    schema = event_schemas.schema(catalogue.BY_TYPE["LearnerRecord.CredentialRevoked"])
    payload = {"credential_id": "c-1", "reason": "annulled", "actor": "qa-1",
               "effective_on": "2025-06-02"}
    if "drop" in change:
        payload.pop(change["drop"])
    else:
        payload.update(change)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert list(validator.iter_errors(payload))


def test_a_message_published_at_an_older_version_is_upcast_by_its_consumer(monkeypatch) -> None:
    entry = catalogue.EventType("Thing", Thing.Renamed)
    monkeypatch.setitem(catalogue.BY_TYPE, entry.type, entry)
    current = Envelope(type=entry.type, subject=str(uuid4()), version=2, position=9,
                       time="2025-03-01T09:30:00+00:00",
                       data={"name": "Tbilisi", "language": "en"})
    headers, value = wire.encode(current)
    assert dict(headers)["ce_dataschema"] == f"urn:ledger:events:{entry.type}:v2".encode()
    assert wire.decode(headers, value) == current
    first = f"urn:ledger:events:{entry.type}:v1".encode()
    older = [(name, first if name == "ce_dataschema" else v) for name, v in headers]
    unnamed = [(name, v) for name, v in headers if name != "ce_dataschema"]
    for published in (older, unnamed):
        decoded = wire.decode(published, b'{"name": "Batumi"}')
        assert decoded.data == {"name": "Batumi", "language": "ka"}
