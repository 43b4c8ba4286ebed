"""Test helpers: an HTTP client that speaks as a given principal, and a builder of the usual
world (QA body, an accredited provider with an approved programme, a learner)."""

import uuid
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from ledger.application import Ledger

PROGRAMME = {
    "title": "Data Literacy for Public Servants",
    "learning_outcomes": ["Interpret descriptive statistics", "Build a reproducible report"],
    "ects": 5.0,
    "eqf_level": 5,
    "assessment_type": "Supervised online examination",
    "participation_form": "online",
    "quality_assurance": "Internal QA under the provider's accredited QA system",
    "workload_hours": 125.0,
    "language": "ka",
}


class Api:
    def __init__(self, base_url: str, ledger: Ledger) -> None:
        self.base_url = base_url
        self.ledger = ledger
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self._tokens: dict[tuple[str, str | None], str] = {}

    def __enter__(self) -> "Api":
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def token(self, role: str, scope: str | None = None) -> str:
        if (role, scope) not in self._tokens:
            _, token = self.ledger.principals.create(role, scope, f"test {role}")
            self._tokens[(role, scope)] = token
        return self._tokens[(role, scope)]

    def as_(self, role: str, scope: str | None = None) -> "Caller":
        return Caller(self.http, self.token(role, scope))

    def anonymous(self) -> "Caller":
        return Caller(self.http, None)


@dataclass
class Caller:
    http: httpx.Client
    token: str | None

    def _headers(self, key: str | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if key:
            headers["Idempotency-Key"] = key
        return headers

    def post(self, path: str, body: Any, key: str | None = None) -> httpx.Response:
        return self.http.post(path, json=body, headers=self._headers(key))

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params, headers=self._headers(None))


def created(response: httpx.Response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


@dataclass
class World:
    api: Api
    provider_id: str
    programme_id: str
    learner_id: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def qa(self) -> Caller:
        return self.api.as_("qa_body")

    @property
    def provider(self) -> Caller:
        return self.api.as_("provider", self.provider_id)

    @property
    def learner(self) -> Caller:
        return self.api.as_("learner", self.learner_id)

    def issue(self, awarded_on: str = "2025-03-01", learner_id: str | None = None,
              programme_id: str | None = None, **extra: Any) -> dict[str, Any]:
        body = {"learner_id": learner_id or self.learner_id,
                "microcredential_id": programme_id or self.programme_id,
                "awarded_on": awarded_on, **extra}
        return created(self.provider.post("/v1/credentials", body))

    def programme(self, **overrides: Any) -> str:
        return approved_programme(self.api, self.provider_id, **overrides)

    def new_learner(self, **overrides: Any) -> str:
        return enrol(self.provider, **overrides)


def accredited_provider(api: Api, name: str = "Ivane Javakhishvili Tbilisi State University",
                        kind: str = "higher_education") -> str:
    qa = api.as_("qa_body")
    provider = created(qa.post("/v1/providers", {"name": name, "country": "GE", "kind": kind}))
    created(qa.post(f"/v1/providers/{provider['id']}/accreditations",
                    {"valid_from": "2020-01-01", "valid_until": "2030-12-31",
                     "decision_reference": "NCEQE-2020-17"}))
    return provider["id"]


def approved_programme(api: Api, provider_id: str, **overrides: Any) -> str:
    body = {**PROGRAMME, "provider_id": provider_id, **overrides}
    programme = created(api.as_("provider", provider_id).post("/v1/microcredentials", body))
    created(api.as_("qa_body").post(f"/v1/microcredentials/{programme['id']}/approve",
                                    {"approved_on": "2024-01-15", "review_due": "2026-12-31"}),
            200)
    return programme["id"]


def enrol(caller: Caller, **overrides: Any) -> str:
    body = {"given_name": "ნინო", "family_name": "ბერიძე", "birth_date": "2001-05-17",
            "national_id": uuid.uuid4().hex[:11], **overrides}
    response = caller.post("/v1/learners", body)
    assert response.status_code in (200, 201), response.text
    return response.json()["id"]


def build_world(api: Api) -> World:
    provider_id = accredited_provider(api)
    programme_id = approved_programme(api, provider_id)
    learner_id = enrol(api.as_("provider", provider_id))
    return World(api, provider_id, programme_id, learner_id)


# -- credentials, stacks and reads (tests/api/test_credentials, test_stacking, test_reading) --

def submitted_programme(api: Api, provider_id: str, **overrides: Any) -> str:
    """A programme the QA body has not decided on yet."""
    body = {**PROGRAMME, "provider_id": provider_id, **overrides}
    return created(api.as_("provider", provider_id).post("/v1/microcredentials", body))["id"]


def programme_approved_between(api: Api, provider_id: str, approved_on: str, review_due: str,
                               **overrides: Any) -> str:
    programme_id = submitted_programme(api, provider_id, **overrides)
    created(api.as_("qa_body").post(f"/v1/microcredentials/{programme_id}/approve",
                                    {"approved_on": approved_on, "review_due": review_due}),
            200)
    return programme_id


def define_pathway(world: World, components: list[str], **options: Any) -> str:
    body = {"provider_id": world.provider_id, "title": "Certificate in Public Data Practice",
            "components": components, **options}
    return created(world.provider.post("/v1/pathways", body))["id"]


def transcript_of(caller: Caller, learner_id: str, min_position: int, **params: Any
                  ) -> dict[str, Any]:
    """The learner's transcript once the read models have reached `min_position`."""
    response = caller.get(f"/v1/learners/{learner_id}/transcript", min_position=min_position,
                          **params)
    assert response.status_code == 200, response.text
    return response.json()


def credential_in(transcript: dict[str, Any], credential_id: str) -> dict[str, Any]:
    matches = [c for c in transcript["credentials"] if c["id"] == credential_id]
    assert len(matches) == 1, transcript
    return matches[0]


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Asserts an RFC 9457 problem response with this status and returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= set(body)
    return body


# -- store inspection, concurrency and seeding via the use cases (tests/integration,
# -- tests/api/test_idempotency) ------------------------------------------------------------

def count_events(ledger: Ledger, event_name: str | None = None) -> int:
    """Rows in the events table (SQLite `stored_events`, PostgreSQL `ledger_events`),
    optionally only those of one event class, e.g. "CredentialIssued"."""
    table = ledger.app.recorder.events_table_name
    if event_name is None:
        row = ledger.database.query_one(f"SELECT COUNT(*) AS n FROM {table}")
    else:
        row = ledger.database.query_one(
            f"SELECT COUNT(*) AS n FROM {table} WHERE topic LIKE ?", (f"%.{event_name}",)
        )
    return int(row["n"])


def in_parallel(calls: list[Any], prepare: Any = None) -> list[Any]:
    """Run each call in its own thread, all released together by a barrier; results in order.

    `prepare` runs in each thread before the barrier (for example to open a connection)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    barrier = threading.Barrier(len(calls))

    def run(call: Any) -> Any:
        if prepare is not None:
            prepare()
        barrier.wait(timeout=60)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        return [f.result(timeout=120) for f in futures]


@dataclass(frozen=True)
class Post:
    token: str | None
    path: str
    body: Any
    key: str | None = None


def post_together(base_url: str, posts: list[Post]) -> list[httpx.Response]:
    """Send the POSTs at once from separate threads, each over its own warmed-up connection."""
    import threading

    local = threading.local()

    def connect() -> None:
        local.client = httpx.Client(base_url=base_url, timeout=60)
        local.client.get("/healthz").raise_for_status()

    def sender(post: Post) -> Any:
        def send() -> httpx.Response:
            try:
                return Caller(local.client, post.token).post(post.path, post.body, post.key)
            finally:
                local.client.close()
        return send

    return in_parallel([sender(p) for p in posts], prepare=connect)


def metric_samples(text: str, name: str) -> dict[str, float]:
    """Samples of one metric family in Prometheus text, by sample name (and labels)."""
    from prometheus_client.parser import text_string_to_metric_families

    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name != name:
            continue
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found


@dataclass
class Seeded:
    """A small world built through the use cases (no HTTP): ids and the actors who made it."""

    qa: Any
    provider: Any
    provider_id: str
    programme_id: str
    learner_id: str
    credential_ids: list[str]
    position: int


def seed_ledger(ledger: Ledger, **personal: Any) -> Seeded:
    """Through the use cases: a provider registered and accredited, a programme approved, a
    learner enrolled with `personal` data, two credentials issued, one suspended, reinstated
    and corrected, the other revoked: every kind of lifecycle event."""
    from ledger import commands, inputs
    from ledger.domain.actors import Actor

    qa = Actor(principal_id=f"qa-{uuid.uuid4().hex[:8]}", role="qa_body")
    run = ledger.execute_sync
    provider_id = run(commands.register_provider(qa, inputs.RegisterProvider(
        name="Georgian Technical University", country="GE", kind="higher_education",
        legal_identifier="211349619"))).body["id"]
    run(commands.accredit_provider(qa, provider_id, inputs.Accreditation(
        valid_from="2020-01-01", valid_until="2030-12-31", scope=None,
        decision_reference="NCEQE-2020-17")))
    provider = Actor(principal_id=f"pr-{uuid.uuid4().hex[:8]}", role="provider",
                     scope=provider_id)
    programme_id = run(commands.submit_programme(provider, provider_id, dict(PROGRAMME))
                       ).body["id"]
    run(commands.decide_programme(qa, programme_id, inputs.ProgrammeDecision(
        "approve", approved_on="2024-01-15", review_due="2026-12-31")))
    details = {"given_name": "ნინო", "family_name": "ბერიძე", "birth_date": "2001-05-17",
               **personal}
    learner_id = run(commands.enrol_learner(provider, inputs.PersonalDetails(**details))
                     ).body["id"]
    item = inputs.IssueCredential(learner_id=learner_id, microcredential_id=programme_id,
                                  awarded_on="2025-03-01", grade="A", assessment=None)
    first = run(commands.issue_credential(provider, item)).body["id"]
    second = run(commands.issue_credential(provider, replace(item, awarded_on="2025-04-01"))
                 ).body["id"]
    for action in ("suspend", "reinstate"):
        run(commands.change_status(provider, first, action, f"{action} test"))
    run(commands.correct_credential(provider, first,
                                    inputs.Correction("grading error", grade="B")))
    last = run(commands.change_status(provider, second, "revoke",
                                      "issued in error"))
    return Seeded(qa, provider, provider_id, programme_id, learner_id, [first, second],
                  last.body["position"])


def days_from_today(days: int) -> str:
    """An ISO date relative to the ledger's calendar (its time zone's date), for rules that
    compare with today."""
    from datetime import timedelta

    from ledger.calendar import Calendar
    from ledger.config import Settings

    return (Calendar(Settings().time_zone).today() + timedelta(days=days)).isoformat()


def post_raw(caller: Caller, path: str, content: bytes) -> httpx.Response:
    """POST bytes as JSON, for bodies that `json=` cannot express (malformed JSON)."""
    headers = {**caller._headers(None), "Content-Type": "application/json"}
    return caller.http.post(path, content=content, headers=headers)
