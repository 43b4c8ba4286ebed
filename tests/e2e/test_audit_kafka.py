"""Audit and erasure in the production shape: the API, the relay and a Kafka-fed projector as
separate OS processes over a real PostgreSQL and a real broker.

- Erasure: afterwards neither a Kafka message (every one on the ledger's topics), a raw table
  nor a line any process logged holds the learner's personal data.
- `ledger projections rebuild` while writes flow through Kafka, then `ledger audit diff`: the
  rebuilt model holds every acknowledged write once and equals a replay of the store.
"""

import base64
import os
import random
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from kafka import KafkaConsumer, TopicPartition

from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.kafka import DEAD_LETTERS, EVENTS, EXPORTS
from ledger.projections import wire
from tests.conftest import STANDARDS, free_port
from tests.e2e.test_processes import (
    LEDGER,
    STOPPED_BY_SIGTERM,
    Process,
    create_token,
    wait_until_ready,
)
from tests.erasure import Person, traces
from tests.helpers import PROGRAMME
from tests.integration.test_diff import wait_until


class Pipeline:
    """`ledger serve`, `relay`, `projector` and `exporter`, with their own topics."""

    def __init__(self, postgres_url: str, kafka_bootstrap: str, data_dir: Path,
                 exporter: bool) -> None:
        self.env = {**os.environ, "DATABASE_URL": postgres_url,
                    "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
                    "LEDGER_ENVIRONMENT": "production", "LEDGER_DATA_DIR": str(data_dir),
                    "LEDGER_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
                    "LEDGER_KAFKA_TOPIC_PREFIX": f"audit{uuid.uuid4().hex[:8]}.",
                    "LEDGER_READ_WAIT_SECONDS": "30", "LEDGER_STANDARDS_DIR": str(STANDARDS)}
        port = free_port()
        self.api = Process("serve", "--port", str(port), env=self.env)
        self.base_url = f"http://127.0.0.1:{port}"
        wait_until_ready(self.base_url, self.api)
        self.workers = [Process("relay", env=self.env), Process("projector", env=self.env)]
        if exporter:
            self.workers.append(Process("exporter", env=self.env))
        self.http = httpx.Client(base_url=self.base_url, timeout=60)

    def headers(self, role: str, scope: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {create_token(self.env, role, scope)}"}

    def topic(self, name: str) -> str:
        return self.env["LEDGER_KAFKA_TOPIC_PREFIX"] + name

    def settings(self) -> Settings:
        return Settings(database_url=self.env["DATABASE_URL"],
                        master_key=self.env["LEDGER_MASTER_KEY"],
                        data_dir=Path(self.env["LEDGER_DATA_DIR"]),
                        kafka_bootstrap_servers=None, standards_dir=STANDARDS)

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([LEDGER, *args], env=self.env, capture_output=True, timeout=300)

    def stop(self) -> str:
        """Stops every process; returns everything they wrote."""
        self.http.close()
        stopped = [worker.stop() for worker in self.workers]
        api_status, api_output = self.api.stop()
        for status, output in stopped:
            assert status == 0, output
        assert api_status in STOPPED_BY_SIGTERM, api_output
        return "\n".join([*(output for _, output in stopped), api_output])


def _running(pipeline: Pipeline) -> Iterator[Pipeline]:
    yield pipeline
    if pipeline.api.popen.poll() is None:
        print(pipeline.stop())  # the processes' output, shown when a test fails


@pytest.fixture
def pipeline(postgres_url: str, kafka_bootstrap: str, tmp_path: Path) -> Iterator[Pipeline]:
    yield from _running(Pipeline(postgres_url, kafka_bootstrap, tmp_path, exporter=False))


@pytest.fixture
def exporting(postgres_url: str, kafka_bootstrap: str, tmp_path: Path) -> Iterator[Pipeline]:
    """With the exporter too (it renders and signs every touched learner's exports per poll:
    heavy, and only the erasure test needs it)."""
    yield from _running(Pipeline(postgres_url, kafka_bootstrap, tmp_path, exporter=True))


def organisation(pipeline: Pipeline) -> tuple[dict, str]:
    """An accredited provider with an approved programme: (its principal's headers, programme)."""
    http, qa = pipeline.http, pipeline.headers("qa_body")
    provider = http.post("/v1/providers", headers=qa, json={
        "name": "Kutaisi International University", "country": "GE",
        "kind": "higher_education"}).json()["id"]
    http.post(f"/v1/providers/{provider}/accreditations", headers=qa, json={
        "valid_from": "2021-01-01", "valid_until": "2029-12-31"}).raise_for_status()
    issuer = pipeline.headers("provider", provider)
    programme = http.post("/v1/microcredentials", headers=issuer,
                          json={**PROGRAMME, "provider_id": provider}).json()["id"]
    http.post(f"/v1/microcredentials/{programme}/approve", headers=qa, json={
        "approved_on": "2024-02-01", "review_due": "2027-01-31"}).raise_for_status()
    return issuer, programme


def read_once_caught_up(pipeline: Pipeline, path: str, headers: dict, position: int,
                        seconds: float = 180) -> httpx.Response:
    """GET with min_position through the Kafka projector. Each try waits up to the API's read
    wait (503 after it); on a loaded machine the consumers' first group join can take longer,
    so the read is retried until the deadline."""
    deadline = time.monotonic() + seconds
    while True:
        response = pipeline.http.get(path, headers=headers, params={"min_position": position})
        if response.status_code != 503 or time.monotonic() > deadline:
            assert response.status_code == 200, response.text
            return response


def messages(bootstrap: str, topic: str, at_least: int) -> list:
    """Every message on the topic, from the beginning (at least `at_least` of them)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    ends = consumer.end_offsets(partitions)
    found: list = []
    deadline = time.monotonic() + 120
    while len(found) < at_least or any(consumer.position(tp) < ends[tp] for tp in partitions):
        assert time.monotonic() < deadline, f"{len(found)} messages on {topic}"
        for batch in consumer.poll(timeout_ms=200).values():
            found.extend(batch)
    consumer.close()
    return found


def test_after_erasure_no_message_table_or_log_line_holds_the_learners_personal_data(
        exporting: Pipeline, kafka_bootstrap: str):
    pipeline = exporting
    http = pipeline.http
    issuer, programme = organisation(pipeline)
    person = Person.unique()
    learner = http.post("/v1/learners", headers={**issuer, "Idempotency-Key": "e-1"},
                        json=person.body()).json()["id"]
    for awarded_on in ("2025-01-20", "2025-02-20"):
        http.post("/v1/credentials", headers=issuer, json={
            "learner_id": learner, "microcredential_id": programme, "awarded_on": awarded_on,
        }).raise_for_status()
    erased = http.post(f"/v1/learners/{learner}/erase", headers=pipeline.headers("admin"),
                       json={"reason": "consent_withdrawn"})
    assert erased.status_code == 200, erased.text
    position = erased.json()["position"]
    transcript = read_once_caught_up(pipeline, f"/v1/learners/{learner}/transcript",
                                     pipeline.headers("auditor"), position)
    assert transcript.json()["erased"] is True and len(transcript.json()["credentials"]) == 2

    needles = person.needles()
    published = messages(kafka_bootstrap, pipeline.topic(EVENTS), at_least=position)
    events = [wire.decode(m.headers, m.value) for m in published]
    assert sorted(e.position for e in events)[-1] == position
    erasure = [e for e in events if e.type == "LearnerRecord.RecordErased"]
    assert [(e.subject, sorted(e.data)) for e in erasure] == \
        [(learner, ["actor", "effective_on", "reason"])]
    def raw(message) -> bytes:
        return b"".join([message.key or b"", message.value or b"",
                         *(value for _, value in message.headers)])

    dead = messages(kafka_bootstrap, pipeline.topic(DEAD_LETTERS), at_least=0)
    for message in published + dead:
        assert not any(needle in raw(message) for needle in needles), message
    # The exporter republished the learner's exports after the erasure, without their name;
    # the manifests from before it did name them (so this scan would see a name).
    wait_until(lambda: any(orjson.loads(m.value)["position"] >= position for m in
                           messages(kafka_bootstrap, pipeline.topic(EXPORTS), at_least=1)
                           if m.key == learner.encode()), seconds=180)
    manifests = [m for m in messages(kafka_bootstrap, pipeline.topic(EXPORTS), at_least=1)
                 if m.key == learner.encode()]
    after = [m for m in manifests if orjson.loads(m.value)["position"] >= position]
    assert after and not any(needle in raw(m) for m in after for needle in needles)
    assert any(person.family_name.encode() in raw(m) for m in manifests if m not in after)

    ledger = bootstrap(pipeline.settings(), run_projections=False)
    try:
        assert traces(ledger.database, needles) == []
    finally:
        ledger.close()
    verified = pipeline.cli("audit", "verify")  # the erasure rewrote no event
    assert verified.returncode == 0, verified.stdout.decode()
    assert orjson.loads(verified.stdout)["ok"] is True
    logged = pipeline.stop().encode()
    assert not any(needle in logged for needle in needles)


def test_a_rebuild_while_writes_flow_through_kafka_loses_nothing_and_diff_finds_nothing(
        pipeline: Pipeline):
    issuer, programme = organisation(pipeline)
    http = pipeline.http
    learners = [http.post("/v1/learners", headers=issuer, json=Person.unique().body()
                          ).json()["id"] for _ in range(5)]
    issued: dict[str, set[str]] = {learner: set() for learner in learners}
    stop, errors = threading.Event(), []

    def write() -> None:
        rng = random.Random(3)
        with httpx.Client(base_url=pipeline.base_url, timeout=60) as client:
            while not stop.is_set():
                learner = rng.choice(learners)
                response = client.post("/v1/credentials", headers=issuer, json={
                    "learner_id": learner, "microcredential_id": programme,
                    "awarded_on": "2025-03-03"})
                if response.status_code != 201:
                    errors.append(response.text)
                    continue
                issued[learner].add(response.json()["id"])

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        wait_until(lambda: sum(map(len, issued.values())) >= 30)
        before = sum(map(len, issued.values()))
        rebuilt = pipeline.cli("projections", "rebuild", "transcripts")
        assert rebuilt.returncode == 0, rebuilt.stderr.decode()
        assert sum(map(len, issued.values())) > before  # writes went on during the rebuild
        written = sum(map(len, issued.values()))
        wait_until(lambda: sum(map(len, issued.values())) >= written + 20)  # and after it
    finally:
        stop.set()
        writer.join(timeout=60)
    assert not errors, errors[:3]

    auditor = pipeline.headers("auditor")
    head = _head(pipeline)
    for learner, credentials in issued.items():
        response = read_once_caught_up(pipeline, f"/v1/learners/{learner}/transcript",
                                       auditor, head)
        assert {c["id"] for c in response.json()["credentials"]} == credentials
    compared = pipeline.cli("audit", "diff", "--json")
    assert compared.returncode == 0, compared.stdout.decode() + compared.stderr.decode()
    report = orjson.loads(compared.stdout)
    assert report["differences"] == [] and report["settled"] == report["head"]


def _head(pipeline: Pipeline) -> int:
    ledger = bootstrap(pipeline.settings(), run_projections=False)
    try:
        return ledger.events.head()
    finally:
        ledger.close()
