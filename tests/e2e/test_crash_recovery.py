"""Crash recovery of the Kafka pipeline, as separate OS processes over a real PostgreSQL and a
private broker: while thousands of events are written through the API, the relay and the
projector are killed with SIGKILL at random moments and restarted, and the broker is stopped
and started again mid-stream. Afterwards every read model must equal a rebuild from the store
by the projections' own pure folds: no event lost, none applied twice.

The broker is this module's own (scripts/local-kafka.sh with a private LOCAL_KAFKA_DIR and a
fixed port), because stopping it would break any other test sharing one. It is restarted over
its own data: `local-kafka.sh stop`, then the very command line the script had launched (read
from /proc) on the same state dir and port. `local-kafka.sh start` would not do: it wipes and
re-formats the state dir on every fresh start, which is a new, empty broker (every topic and
every unconsumed message gone), not a restart.

The random schedule is reproducible: LEDGER_CRASH_SEED (printed on failure) replays it.
"""

import base64
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg
import pytest

from ledger.application import LedgerApplication
from ledger.bootstrap import projections
from ledger.config import Settings
from ledger.kafka import EVENTS
from ledger.projections.envelope import Envelope, from_stored
from ledger.projections.store import fold
from tests.conftest import ROOT, free_port
from tests.e2e.test_processes import LEDGER, STOPPED_BY_SIGTERM, create_token
from tests.helpers import PROGRAMME

SEED = int(os.environ.get("LEDGER_CRASH_SEED", "20250301"))
MIN_EVENTS = 5_000
KILLS_EACH = 5
LEARNERS = 100
# Every wait below is for a condition; these are only the deadlines after which it fails.
CONDITION_SECONDS = 120.0
KAFKA_SCRIPT = ROOT / "scripts" / "local-kafka.sh"


def note(message: str) -> None:
    """The timeline, shown with the output of a failed run (or with -s)."""
    print(f"{time.strftime('%H:%M:%S')} {message}", flush=True)


def wait_until(condition: Callable[[], bool], what: str, seconds: float = CONDITION_SECONDS,
               alive: tuple["Worker", ...] = ()) -> None:
    deadline = time.monotonic() + seconds
    while True:
        for worker in alive:
            worker.check_alive()
        if condition():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:.0f}s waiting until {what}")
        time.sleep(0.05)


# -- the private broker --------------------------------------------------------------------

class PrivateKafka:
    """A broker of this module's own: started by scripts/local-kafka.sh on a fixed port, so
    that a stop and a start bring it back where the clients look for it."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.port = free_port()
        self.env = {**os.environ, "LOCAL_KAFKA_DIR": str(state_dir),
                    "LOCAL_KAFKA_PORT": str(self.port),
                    "LOCAL_KAFKA_CONTROLLER_PORT": str(free_port()),
                    "PYTHON": sys.executable}
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.restarts = 0

    def _script(self, command: str) -> str:
        done = subprocess.run(["bash", str(KAFKA_SCRIPT), command], env=self.env,
                              capture_output=True, text=True, timeout=180, check=False)
        assert done.returncode == 0, f"local-kafka.sh {command}: {done.stderr}"
        return done.stdout

    def start(self) -> None:
        line = self._script("start").strip().splitlines()[-1]
        assert line == f"KAFKA_BOOTSTRAP_SERVERS={self.bootstrap}", line

    def stop(self) -> None:
        self._script("stop")

    @property
    def _pid_file(self) -> Path:
        return self.state_dir / "kafka.pid"

    def restart(self, down: Callable[[], None]) -> None:
        """Stop the broker, call `down` while it is down, start it again over its data."""
        pid = self._pid_file.read_text().strip()
        command = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
        self.stop()
        assert not self.ready(), "the broker still answers after local-kafka.sh stop"
        down()
        # As local-kafka.sh starts it: detached in its own session, its pid in kafka.pid (so
        # that `local-kafka.sh stop` still finds it), its output appended to the same log.
        with open(self.state_dir / "kafka.log", "ab") as log:
            subprocess.run(["setsid", "-f", "bash", "-c", 'echo $$ >"$0"; exec "$@"',
                            str(self._pid_file), *command], stdin=subprocess.DEVNULL,
                           stdout=log, stderr=subprocess.STDOUT, check=True)
        wait_until(self.ready, "the restarted broker answers")
        self.restarts += 1

    def ready(self) -> bool:
        """The broker lists its topics (refused connections fail fast, without the client's
        bootstrap retries)."""
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return False
        check = ROOT / "scripts" / "kafka" / "readiness_check.py"
        try:
            done = subprocess.run([sys.executable, str(check), self.bootstrap],
                                  capture_output=True, timeout=20, check=False)
        except subprocess.TimeoutExpired:
            return False
        return done.returncode == 0


@pytest.fixture
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateKafka]:
    broker = PrivateKafka(tmp_path_factory.mktemp("crash-kafka") / "state")
    try:
        broker.start()
        yield broker
    finally:
        broker.stop()


# -- the pipeline's processes ----------------------------------------------------------------

class Worker:
    """One long-running `ledger` command; each incarnation writes to its own log file (a pipe
    would fill up and block a chatty process over minutes). Like compose's `restart:
    unless-stopped`, an incarnation that exits by itself is started again, and recorded: the
    run goes on to its verdict on the data, and the test then fails on the crash."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.args = args
        self.env = env
        self.logs = logs
        self.incarnation = 0
        self.kills = 0
        self.crashes: list[str] = []
        self.lock = threading.Lock()
        self.popen: subprocess.Popen[bytes]
        self._spawn()

    @property
    def log(self) -> Path:
        return self.logs / f"{self.name}-{self.incarnation}.log"

    def _spawn(self) -> None:
        self.incarnation += 1
        with open(self.log, "wb") as out:
            self.popen = subprocess.Popen([LEDGER, *self.args], env=self.env, stdout=out,
                                          stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def check_alive(self) -> None:
        with self.lock:
            status = self.popen.poll()
            assert status is None, (
                f"{self.name} (incarnation {self.incarnation}) exited by itself with "
                f"{status}:\n{self.output()[-5000:]}")

    def _revive(self) -> bool:
        """Start it again if it exited by itself (the caller holds the lock)."""
        status = self.popen.poll()
        if status is None:
            return False
        lines = [line for line in self.output().splitlines() if line.strip()]
        errors = [line for line in lines if "Error: " in line or "Exception: " in line]
        cause = (errors or lines or ["(no output)"])[-1].strip()
        crash = (f"{self.name} incarnation {self.incarnation} exited by itself with {status}: "
                 f"{cause} (log: {self.log})")
        self.crashes.append(crash)
        note(crash)
        self._spawn()
        return True

    def revive(self) -> None:
        with self.lock:
            self._revive()

    def kill_and_restart(self) -> bool:
        """kill -9, as a crash or an OOM kill, then start it again as a supervisor would;
        False if it had exited by itself meanwhile (restarted, not counted as a kill)."""
        with self.lock:
            if self._revive():
                return False
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(timeout=30)
            self.kills += 1
            self._spawn()
            return True

    def stop(self) -> tuple[int, str]:
        """SIGTERM, as docker stops a container; the exit status and the output."""
        with self.lock:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                raise
            return self.popen.returncode, self.output()

    def ensure_stopped(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(timeout=30)


class Supervisor(threading.Thread):
    """Restarts a worker that exited by itself, as the container runtime would."""

    def __init__(self, workers: list[Worker]) -> None:
        super().__init__(name="supervisor", daemon=True)
        self.workers = workers
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(0.1):
            for worker in self.workers:
                worker.revive()

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=30)


# -- what the pipeline has done, read from PostgreSQL --------------------------------------

class Progress:
    def __init__(self, database_url: str, topic: str) -> None:
        self.database_url = database_url
        self.topic = topic

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def head(self) -> int:
        return self._query("SELECT max(notification_id) FROM ledger_events")[0][0] or 0

    def relay(self) -> int:
        rows = self._query("SELECT position FROM relay_positions WHERE topic = %s",
                           (self.topic,))
        return rows[0][0] if rows else 0

    def projector(self) -> dict[str, int]:
        """Per projection, the sum of the next offsets it recorded over all partitions."""
        rows = self._query("SELECT projection, sum(next_offset) FROM projector_offsets "
                           "WHERE topic = %s GROUP BY projection", (self.topic,))
        return {name: int(total) for name, total in rows}

    def offsets(self) -> dict[tuple[str, int], int]:
        rows = self._query("SELECT projection, partition, next_offset FROM projector_offsets "
                           "WHERE topic = %s", (self.topic,))
        return {(name, partition): offset for name, partition, offset in rows}

    def events_up_to(self, position: int) -> int:
        return self._query("SELECT count(*) FROM ledger_events WHERE notification_id <= %s",
                           (position,))[0][0]

    def projector_advanced(self, mark: dict[str, int]) -> bool:
        now = self.projector()
        names = [p.name for p in projections()]
        return all(now.get(name, 0) > mark.get(name, 0) for name in names)


# -- the load -------------------------------------------------------------------------------

class Writer(threading.Thread):
    """Issues credentials through the API (bulk and single), suspends, reinstates and revokes
    some, until told to stop; every write must succeed, with Kafka up or down."""

    def __init__(self, base_url: str, token: str, learners: list[str], programmes: list[str],
                 seed: int) -> None:
        super().__init__(name="writer", daemon=True)
        self.base_url = base_url
        self.token = token
        self.learners = learners
        self.programmes = programmes
        self.seed = seed
        self.halt = threading.Event()
        self.failures: list[str] = []
        self.requests = 0

    def run(self) -> None:
        rng = random.Random(self.seed)
        active: list[str] = []
        suspended: list[str] = []
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=60) as http:
            while not self.halt.is_set():
                try:
                    self._one(http, rng, active, suspended)
                except Exception as error:  # reported by the test, never swallowed
                    self.failures.append(f"{type(error).__name__}: {error}")
                    return
                self.requests += 1
                self.halt.wait(rng.uniform(0.2, 0.6))  # pacing of the load, not a wait

    def _item(self, rng: random.Random) -> dict[str, str]:
        return {"learner_id": rng.choice(self.learners),
                "microcredential_id": rng.choice(self.programmes), "awarded_on": "2025-03-01"}

    def _expect(self, response: httpx.Response, status: int) -> Any:
        if response.status_code != status:
            raise AssertionError(f"{response.request.method} {response.request.url.path}: "
                                 f"{response.status_code} {response.text}")
        return response.json()

    def _one(self, http: httpx.Client, rng: random.Random, active: list[str],
             suspended: list[str]) -> None:
        roll = rng.random()
        if roll < 0.3 or not active:
            items = [self._item(rng) for _ in range(rng.randint(100, 200))]
            results = self._expect(http.post("/v1/credentials/bulk", json={"items": items}),
                                   200)["results"]
            bad = [r for r in results if r["status"] != "created"]
            if bad:
                raise AssertionError(f"bulk items failed: {bad[:3]}")
            active += [r["id"] for r in results]
        elif roll < 0.75:
            active.append(self._expect(http.post("/v1/credentials", json=self._item(rng)),
                                       201)["id"])
        elif roll < 0.87:
            credential = active.pop(rng.randrange(len(active)))
            self._expect(http.post(f"/v1/credentials/{credential}/suspend",
                                   json={"reason": "under investigation"}), 200)
            suspended.append(credential)
        elif roll < 0.93 and suspended:
            credential = suspended.pop(rng.randrange(len(suspended)))
            self._expect(http.post(f"/v1/credentials/{credential}/reinstate",
                                   json={"reason": "investigation closed"}), 200)
            active.append(credential)
        else:
            pool = suspended if suspended and rng.random() < 0.5 else active
            credential = pool.pop(rng.randrange(len(pool)))
            self._expect(http.post(f"/v1/credentials/{credential}/revoke",
                                   json={"reason": "issued in error"}), 200)


# -- the chaos ------------------------------------------------------------------------------

class Monkey(threading.Thread):
    """Kills one worker at random moments, each time once its last incarnation has shown
    progress (so that every kill interrupts a working process), and restarts it; `plan`
    chooses the moments and says when it has killed enough."""

    def __init__(self, worker: Worker, plan: "ProjectorPlan | RelayPlan", seed: int,
                 chaos: threading.Lock) -> None:
        super().__init__(name=f"monkey-{worker.name}", daemon=True)
        self.worker = worker
        self.plan = plan
        self.rng = random.Random(seed)
        self.chaos = chaos
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.plan.done(self.worker.kills):
                started = time.monotonic()
                since = self.plan.mark()
                wait_until(lambda since=since: self.plan.advanced(since),
                           f"the {self.worker.name} made progress")
                resumed = time.monotonic() - started
                when = self.plan.moment(self.rng, self.worker.kills)
                with self.chaos:
                    killed = self.worker.kill_and_restart()
                    outcome = self.plan.after_kill()
                if killed:
                    note(f"{self.worker.name} killed ({self.worker.kills}) {when}, {outcome}; "
                         f"it had made progress {resumed:.1f}s after its start")
        except BaseException as error:
            self.error = error


def pause(rng: random.Random, low: float, high: float) -> str:
    seconds = rng.uniform(low, high)
    time.sleep(seconds)  # the random moment of the crash
    return f"{seconds:.1f}s later"


class ProjectorPlan:
    """A restarted projector rejoins its groups only once the killed one's session has
    expired: each kill comes soon after it has resumed consuming."""

    def __init__(self, progress: "Progress") -> None:
        self.progress = progress

    def mark(self) -> dict[str, int]:
        return self.progress.projector()

    def advanced(self, mark: dict[str, int]) -> bool:
        return self.progress.projector_advanced(mark)

    def moment(self, rng: random.Random, kills: int) -> str:
        return pause(rng, 0.0, 1.5)

    def after_kill(self) -> str:
        return f"at offsets {self.progress.projector()}"

    def done(self, kills: int) -> bool:
        return kills >= KILLS_EACH


class RelayPlan:
    """The relay restarts in a second: its kills are spread over the stream, and three of
    them (more if needed) come while it publishes a burst of a few thousand events in batches
    of up to 1,000, until a kill has left events sent to Kafka but not recorded as published:
    the restarted relay sends them again, so the projector receives events it has applied
    already. After each kill, with the relay dead, Kafka's message count minus the events up
    to the recorded position (and the repeats counted before) is what will be sent twice."""

    EXTRA_KILLS = 5

    def __init__(self, base_url: str, token: str, learners: list[str], programmes: list[str],
                 progress: "Progress", bootstrap: str, topic: str, rng: random.Random) -> None:
        self.base_url = base_url
        self.headers = {"Authorization": f"Bearer {token}"}
        self.learners = learners
        self.programmes = programmes
        self.progress = progress
        self.bootstrap = bootstrap
        self.topic = topic
        self.styles = rng.sample(["burst"] * 3 + ["pause"] * 2, 5)
        self.resent = 0
        self.poster: threading.Thread | None = None
        self.posted: list[str] = []

    def mark(self) -> int:
        return self.progress.relay()

    def advanced(self, mark: int) -> bool:
        return self.progress.relay() > mark

    def moment(self, rng: random.Random, kills: int) -> str:
        if (self.styles[kills] if kills < len(self.styles) else "burst") == "pause":
            return pause(rng, 0.5, 20.0)
        start = self.progress.head()
        items = [{"learner_id": rng.choice(self.learners),
                  "microcredential_id": rng.choice(self.programmes),
                  "awarded_on": "2025-03-01"} for _ in range(rng.randint(3_000, 5_000))]

        def post() -> None:
            answer = httpx.post(f"{self.base_url}/v1/credentials/bulk", headers=self.headers,
                                json={"items": items}, timeout=120)
            created = [r for r in answer.json()["results"] if r["status"] == "created"]
            ok = answer.status_code == 200 and len(created) == len(items)
            self.posted.append("ok" if ok else f"{answer.status_code} {answer.text[:500]}")
        self.poster = threading.Thread(target=post, name="burst", daemon=True)
        self.poster.start()
        wait_until(lambda: self.progress.relay() >= start + 1_000,
                   "the relay publishes the burst")
        time.sleep(rng.uniform(0.0, 0.05))  # the random moment of the crash
        return f"while publishing a burst of {len(items)}"

    def after_kill(self) -> str:
        if self.poster is not None:
            self.poster.join(timeout=120)
            assert self.posted[-1:] == ["ok"], f"the burst failed: {self.posted}"
            self.poster = None
        sent = sum(end_offsets(self.bootstrap, self.topic).values())
        recorded = self.progress.relay()
        unrecorded = sent - self.progress.events_up_to(recorded) - self.resent
        self.resent += max(unrecorded, 0)
        return f"at {recorded} with {unrecorded} sent but not recorded"

    def done(self, kills: int) -> bool:
        return kills >= KILLS_EACH + self.EXTRA_KILLS or (
            kills >= KILLS_EACH and self.resent > 0)


# -- the rebuild ----------------------------------------------------------------------------

def stored_envelopes(database_url: str, head: int) -> list[Envelope]:
    """Every stored event from position 0, as the relay puts it on the wire (JSON)."""
    settings = Settings(database_url=database_url, data_dir=Path("unused"),
                        kafka_bootstrap_servers=None)
    # Read only: no DDL on the store the workers use.
    app = LedgerApplication(env={**settings.eventsourcing_env(), "CREATE_TABLE": "n"})
    try:
        envelopes: list[Envelope] = []
        position = 0
        while position < head:
            page = app.recorder.select_notifications(start=position, limit=1000,
                                                     inclusive_of_start=False)
            if not page:
                break
            for n in page:
                wire = orjson.dumps(from_stored(app.mapper.transcoder, n).as_json())
                envelopes.append(Envelope.from_json(orjson.loads(wire)))
            position = page[-1].id
        return [e for e in envelopes if e.position <= head]
    finally:
        app.close()


def read_models(database_url: str, table: str) -> dict[str, Any]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(f"SELECT key, doc FROM {table}").fetchall()
    return {key: orjson.loads(doc) for key, doc in rows}


def differences(expected: dict[str, Any], actual: dict[str, Any]) -> str:
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    changed = sorted(k for k in set(expected) & set(actual) if expected[k] != actual[k])
    if not (missing or extra or changed):
        return ""
    lines = [f"{len(missing)} missing, {len(extra)} unexpected, {len(changed)} different"]
    lines += [f"  missing {k}: {expected[k]}" for k in missing[:3]]
    lines += [f"  unexpected {k}: {actual[k]}" for k in extra[:3]]
    lines += [f"  {k}:\n    expected {expected[k]}\n    actual   {actual[k]}" for k in changed[:3]]
    return "\n".join(lines)


def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id="crash-test-audit")
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        return {tp.partition: offset for tp, offset in consumer.end_offsets(partitions).items()}
    finally:
        consumer.close()


def some_credential(database_url: str) -> str:
    """Some issued credential, to read back through the public verification endpoint."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        key = conn.execute("SELECT key FROM rm_status LIMIT 1").fetchone()
    assert key is not None
    return key[0]


# -- the test -------------------------------------------------------------------------------

def seed_world(http: httpx.Client, env: dict[str, str]) -> tuple[str, list[str], list[str]]:
    """A provider accredited 2020-2030, two approved programmes and the learners."""
    qa = {"Authorization": f"Bearer {create_token(env, 'qa_body')}"}
    provider = http.post("/v1/providers", headers=qa, json={
        "name": "Sokhumi State University", "country": "GE", "kind": "higher_education"})
    assert provider.status_code == 201, provider.text
    provider_id = provider.json()["id"]
    accredited = http.post(f"/v1/providers/{provider_id}/accreditations", headers=qa, json={
        "valid_from": "2020-01-01", "valid_until": "2030-12-31"})
    assert accredited.status_code == 201, accredited.text
    token = create_token(env, "provider", provider_id)
    issuer = {"Authorization": f"Bearer {token}"}
    programmes = []
    for title in ("Data Literacy for Public Servants", "Applied Statistics"):
        submitted = http.post("/v1/microcredentials", headers=issuer,
                              json={**PROGRAMME, "title": title, "provider_id": provider_id})
        assert submitted.status_code == 201, submitted.text
        approved = http.post(f"/v1/microcredentials/{submitted.json()['id']}/approve",
                             headers=qa, json={"approved_on": "2024-01-15",
                                               "review_due": "2026-12-31"})
        assert approved.status_code == 200, approved.text
        programmes.append(submitted.json()["id"])
    learners = []
    for number in range(LEARNERS):
        enrolled = http.post("/v1/learners", headers=issuer, json={
            "given_name": "ნინო", "family_name": f"ბერიძე-{number}",
            "birth_date": "2001-05-17", "national_id": uuid.uuid4().hex[:11]})
        assert enrolled.status_code == 201, enrolled.text
        learners.append(enrolled.json()["id"])
    return token, learners, programmes


@pytest.fixture
def crash_env(postgres_url: str, kafka: PrivateKafka, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": postgres_url,
            "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap,
            "LEDGER_ENVIRONMENT": "production", "LEDGER_DATA_DIR": str(tmp_path),
            "LEDGER_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
            "LEDGER_KAFKA_TOPIC_PREFIX": f"crash{uuid.uuid4().hex[:8]}.",
            "LEDGER_READ_WAIT_SECONDS": "60"}


def wait_for_api(base_url: str, api: Worker) -> None:
    def ready() -> bool:
        try:
            return httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False
    wait_until(ready, "the API is ready", seconds=60, alive=(api,))


@pytest.mark.timeout(600)
def test_kills_and_a_broker_restart_mid_stream_lose_nothing_and_apply_nothing_twice(
        crash_env: dict[str, str], kafka: PrivateKafka, postgres_url: str,
        tmp_path: Path) -> None:
    began = time.monotonic()
    rng = random.Random(SEED)
    topic = crash_env["LEDGER_KAFKA_TOPIC_PREFIX"] + EVENTS
    progress = Progress(postgres_url, topic)
    logs = tmp_path / "logs"
    logs.mkdir()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    api = Worker("api", ["serve", "--port", str(port)], crash_env, logs)
    workers = [api]
    writer: Writer | None = None
    supervisor: Supervisor | None = None
    http = httpx.Client(base_url=base_url, timeout=90)
    try:
        wait_for_api(base_url, api)
        # Seeded before the workers start: no `ledger principals create` runs alongside
        # their start-up.
        token, learners, programmes = seed_world(http, crash_env)
        note(f"seeded (seed {SEED}): head {progress.head()}")
        relay = Worker("relay", ["relay"], crash_env, logs)
        projector = Worker("projector", ["projector"], crash_env, logs)
        workers += [relay, projector]
        supervisor = Supervisor([relay, projector])
        supervisor.start()

        writer = Writer(base_url, token, learners, programmes, seed=rng.randrange(2**32))
        writer.start()
        relay_plan = RelayPlan(base_url, token, learners, programmes, progress,
                               kafka.bootstrap, topic, random.Random(rng.randrange(2**32)))
        chaos = threading.Lock()
        monkeys = [Monkey(relay, relay_plan, rng.randrange(2**32), chaos),
                   Monkey(projector, ProjectorPlan(progress), rng.randrange(2**32), chaos)]
        for monkey in monkeys:
            monkey.start()

        # The broker goes down once, amid the kills, while both workers are running and
        # connected (both advanced since the chaos lock was taken); the API keeps accepting
        # writes meanwhile.
        relay_kills_before = rng.randint(1, 3)

        def first_kills_done() -> bool:
            for monkey in monkeys:
                if monkey.error is not None:
                    raise monkey.error
            return relay.kills >= relay_kills_before and projector.kills >= 1
        wait_until(first_kills_done, "the first kills are done", alive=(api,))
        with chaos:
            relay_mark, projector_mark = progress.relay(), progress.projector()
            wait_until(lambda: progress.relay() > relay_mark
                       and progress.projector_advanced(projector_mark),
                       "relay and projector both run before the broker stops",
                       alive=(api,))
            outage: dict[str, int] = {}

            def while_down() -> None:
                note(f"broker stopped: head {progress.head()}, relay {progress.relay()}")
                outage["from"] = progress.head()
                outage["relay"] = progress.relay()
                wanted = outage["from"] + rng.randint(300, 800)
                wait_until(lambda: progress.head() >= wanted,
                           "the API accepts writes while the broker is down", alive=(api,))
                outage["to"] = progress.head()
            kafka.restart(while_down)
        broker_restarted_at = time.monotonic() - began
        note(f"broker started again: head {progress.head()}, relay {progress.relay()}")

        for monkey in monkeys:
            monkey.join(timeout=CONDITION_SECONDS * KILLS_EACH)
            assert not monkey.is_alive(), f"{monkey.name} did not finish"
            if monkey.error is not None:
                raise monkey.error
        wait_until(lambda: progress.head() >= MIN_EVENTS, f"{MIN_EVENTS} events are stored",
                   alive=(api,))
        writer.halt.set()
        writer.join(timeout=120)
        assert not writer.is_alive(), "the writer did not stop"
        assert not writer.failures, writer.failures
        chaos_done_at = time.monotonic() - began
        note(f"writer stopped: head {progress.head()}, relay {progress.relay()}")

        # Everything stored reaches Kafka and every projector.
        head = progress.head()
        wait_until(lambda: progress.relay() == head, f"the relay has published up to {head}",
                   alive=(api,))
        probe = some_credential(postgres_url)

        def verified() -> bool:
            answer = http.get(f"/v1/verify/{probe}", params={"min_position": head})
            assert answer.status_code in (200, 503), answer.text  # 503: not caught up yet
            return answer.status_code == 200
        wait_until(verified, f"a read with min_position={head} is answered", seconds=180,
                   alive=(api,))
        ends = end_offsets(kafka.bootstrap, topic)
        names = [p.name for p in projections()]
        wanted_offsets = {(name, partition): end for name in names
                          for partition, end in ends.items() if end > 0}
        wait_until(lambda: {k: v for k, v in progress.offsets().items() if k in wanted_offsets}
                   == wanted_offsets, "every projector has consumed the whole topic",
                   alive=(api,))
        caught_up_at = time.monotonic() - began
        note("caught up")

        # The read models equal a rebuild from the store by the same folds.
        envelopes = stored_envelopes(postgres_url, head)
        assert len(envelopes) >= MIN_EVENTS
        assert envelopes[-1].position == head
        for projection in projections():
            expected = orjson.loads(orjson.dumps(fold(projection, envelopes)))
            actual = read_models(postgres_url, projection.table)
            assert expected, projection.name
            diff = differences(expected, actual)
            assert not diff, f"{projection.name} differs from a rebuild (seed {SEED}):\n{diff}"

        assert relay.kills >= KILLS_EACH and projector.kills >= KILLS_EACH
        # Some events reached Kafka twice (re-sent after a relay kill): the projectors met
        # events they had applied already, and the comparison above shows none counted twice.
        sent_twice = sum(ends.values()) - len(envelopes)
        assert sent_twice > 0, f"no relay kill left an event to send again ({relay_plan.resent})"
        assert kafka.restarts == 1
        assert outage["to"] > outage["from"], outage
        assert outage["relay"] < outage["to"], outage  # the relay had them to catch up on

        supervisor.stop()
        for worker in (relay, projector):
            status, output = worker.stop()
            assert status == 0, f"{worker.name} exited with {status}:\n{output[-5000:]}"
        status, output = api.stop()
        assert status in STOPPED_BY_SIGTERM, output
        assert "every accepted write was committed" in output
        note(f"crash test (seed {SEED}): {len(envelopes)} events ({writer.requests} writes), "
             f"{sent_twice} sent twice to Kafka ({relay_plan.resent} counted), relay killed "
             f"{relay.kills}x, projector killed {projector.kills}x, broker restarted at "
             f"{broker_restarted_at:.0f}s ({outage['to'] - outage['from']} events written while "
             f"it was down), chaos over at {chaos_done_at:.0f}s, caught up at "
             f"{caught_up_at:.0f}s, total {time.monotonic() - began:.0f}s; "
             f"{len(relay.crashes) + len(projector.crashes)} exits by themselves")
        # Last, so that a run that hit one still gave its verdict on the data above.
        crashes = relay.crashes + projector.crashes
        assert not crashes, "\n".join(["workers exited by themselves:", *crashes])
    finally:
        http.close()
        if supervisor is not None:
            supervisor.stop()
        if writer is not None:
            writer.halt.set()
        for worker in workers:
            worker.ensure_stopped()

