"""Chaos under load: the Kafka pipeline as separate OS processes (the API, three relays, three
projectors) over a private PostgreSQL and a private broker, while more than 10,000 writes
flow through the API. Relays and projectors are killed with SIGKILL (and restarted, as a
supervisor would) at least 10 times, the broker is restarted once and PostgreSQL once.

Afterwards every acknowledged write is in the read models, once, with the right status, and
`ledger audit diff` (a full replay compared with the live read models) is clean. After each
kill and each restart, a write is made and read back with `min_position` (read-your-writes)
until it answers; the time from the kill is printed, and its maximum must stay within 10 s:
partitions pass to a live member through PostgreSQL locks, not Kafka's group protocol.
Reads answer 503 while the broker is down, never 5xx of another kind.

The broker and the PostgreSQL cluster are this module's own (scripts/local-kafka.sh and
scripts/local-postgres.sh with private state dirs), because restarting them would break any
other test sharing them. The broker is restarted over its own data: `local-kafka.sh stop`,
then the very command line the script had launched (read from /proc) on the same state dir
and port (`local-kafka.sh start` would wipe it); PostgreSQL by `local-postgres.sh restart`.

The random schedule is reproducible: LEDGER_CHAOS_SEED (printed) replays it.
"""

import base64
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.conftest import ROOT, free_port
from tests.e2e.test_processes import LEDGER, STOPPED_BY_SIGTERM, create_token
from tests.helpers import PROGRAMME

SEED = int(os.environ.get("LEDGER_CHAOS_SEED", "20250301"))
MIN_WRITES = 10_000
WRITES_PER_SECOND = 120  # the load: enough for MIN_WRITES within the chaos, not a saturation
KILLS = 10  # alternately a projector and the leading relay
LEARNERS = 60
RECOVERY_LIMIT = 10.0  # seconds from a kill until read-your-writes works again
READ_WAIT = "3"  # LEDGER_READ_WAIT_SECONDS: a read not caught up by then answers 503
CONDITION_SECONDS = 120.0  # deadlines of the waits for conditions below


def note(message: str) -> None:
    """The timeline, shown with the output of a failed run (or with -s)."""
    print(f"{time.strftime('%H:%M:%S')} {message}", flush=True)


def wait_until(condition: Callable[[], bool], what: str,
               seconds: float = CONDITION_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:.0f}s waiting until {what}")
        time.sleep(0.05)  # polling a condition with a deadline


# -- the private broker and database ---------------------------------------------------------

class PrivateKafka:
    """A broker of this module's own, on a fixed port, restartable over its data."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.port = free_port()
        self.env = {**os.environ, "LOCAL_KAFKA_DIR": str(state_dir),
                    "LOCAL_KAFKA_PORT": str(self.port),
                    "LOCAL_KAFKA_CONTROLLER_PORT": str(free_port()),
                    "PYTHON": sys.executable}
        self.bootstrap = f"127.0.0.1:{self.port}"

    def _script(self, command: str) -> str:
        done = subprocess.run(["bash", str(ROOT / "scripts" / "local-kafka.sh"), command],
                              env=self.env, capture_output=True, text=True, timeout=180,
                              check=False)
        assert done.returncode == 0, f"local-kafka.sh {command}: {done.stderr}"
        return done.stdout

    def start(self) -> None:
        line = self._script("start").strip().splitlines()[-1]
        assert line == f"KAFKA_BOOTSTRAP_SERVERS={self.bootstrap}", line

    def stop(self) -> None:
        self._script("stop")

    def restart(self, down: Callable[[], None]) -> None:
        """Crash the broker (SIGKILL: also quicker than a controlled shutdown), call `down`
        while it is down, start it again over its data."""
        pid_file = self.state_dir / "kafka.pid"
        pid = int(pid_file.read_text().strip())
        command = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not self.listening(), "the killed broker's port is closed")
        down()
        # As local-kafka.sh starts it: detached, its pid in kafka.pid, its output appended.
        with open(self.state_dir / "kafka.log", "ab") as log:
            subprocess.run(["setsid", "-f", "bash", "-c", 'echo $$ >"$0"; exec "$@"',
                            str(pid_file), *command], stdin=subprocess.DEVNULL,
                           stdout=log, stderr=subprocess.STDOUT, check=True)
        wait_until(self.ready, "the restarted broker answers")

    def listening(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def ready(self) -> bool:
        """The broker lists its topics (refused connections fail fast)."""
        if not self.listening():
            return False
        check = ROOT / "scripts" / "kafka" / "readiness_check.py"
        try:
            return subprocess.run([sys.executable, str(check), self.bootstrap],
                                  capture_output=True, timeout=20, check=False).returncode == 0
        except subprocess.TimeoutExpired:
            return False


class PrivatePostgres:
    def __init__(self, state_dir: Path) -> None:
        self.env = {**os.environ, "LOCAL_POSTGRES_DIR": str(state_dir),
                    "LOCAL_POSTGRES_PORT": str(free_port())}
        self.url = ""

    def _script(self, command: str) -> str:
        done = subprocess.run(["bash", str(ROOT / "scripts" / "local-postgres.sh"), command],
                              env=self.env, capture_output=True, text=True, timeout=180,
                              check=False)
        assert done.returncode == 0, f"local-postgres.sh {command}: {done.stderr}"
        return done.stdout.strip().rpartition("DATABASE_URL=")[2]

    def start(self) -> None:
        self.url = self._script("start")

    def restart(self) -> None:
        assert self._script("restart") == self.url

    def stop(self) -> None:
        self._script("stop")


@pytest.fixture
def infrastructure(tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[tuple[PrivateKafka, PrivatePostgres]]:
    kafka = PrivateKafka(tmp_path_factory.mktemp("chaos-kafka") / "state")
    postgres = PrivatePostgres(tmp_path_factory.mktemp("chaos-postgres"))
    starting = threading.Thread(target=postgres.start)  # both at once: the broker is slow
    starting.start()
    try:
        kafka.start()
        starting.join()
        assert postgres.url, "the private PostgreSQL did not start"
        yield kafka, postgres
    finally:
        starting.join()
        kafka.stop()
        postgres.stop()


# -- the pipeline's processes ----------------------------------------------------------------

class Worker:
    """One long-running `ledger` command; each incarnation logs to its own file. Like
    compose's `restart: unless-stopped`, an incarnation that exits by itself is started
    again, and recorded: the test fails on it after its verdict on the data."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logs: Path) -> None:
        self.name, self.args, self.env, self.logs = name, args, env, logs
        self.incarnation = 0
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

    def revive(self) -> None:
        with self.lock:
            status = self.popen.poll()
            if status is None:
                return
            lines = [line for line in self.output().splitlines() if line.strip()]
            crash = (f"{self.name} incarnation {self.incarnation} exited by itself with "
                     f"{status}: {(lines or ['(no output)'])[-1].strip()} (log: {self.log})")
            self.crashes.append(crash)
            note(crash)
            self._spawn()

    def kill_and_restart(self) -> None:
        """kill -9, as a crash or an OOM kill, then start it again as a supervisor would."""
        with self.lock:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(timeout=30)
            self._spawn()

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
    def __init__(self, workers: list[Worker]) -> None:
        super().__init__(name="supervisor", daemon=True)
        self.workers = workers
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(0.1):
            for worker in self.workers:
                worker.revive()


def leading_relay(relays: list[Worker]) -> Worker | None:
    """The relay whose current incarnation holds the lock: its last word on leadership (a
    standby says so every second, a leader that lost its lock says so too) is that it leads."""
    def leads(relay: Worker) -> bool:
        words = [line for line in relay.output().splitlines()
                 if "relay is the leader" in line or "standby" in line
                 or "contending for it again" in line]
        return bool(words) and "relay is the leader" in words[-1]
    return next((r for r in relays if leads(r)), None)


def sessions(database_url: str, pattern: str) -> int:
    """Sessions of the workers by application name (lease and lock connections)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name "
                            "LIKE %s", (pattern,)).fetchone()[0]


def projectors_up(database_url: str) -> int:
    """Projector processes holding their membership sessions (one per projection)."""
    return sessions(database_url, "ledger-projector-%") // 3


def relays_up(database_url: str) -> int:
    return sessions(database_url, "ledger-relay-leadership")


# -- the load -------------------------------------------------------------------------------

class Writer(threading.Thread):
    """Issues credentials (in bulk), suspends and revokes some, until told to stop, at about
    WRITES_PER_SECOND. A write is acknowledged by its 2xx
    answer; a failed one (PostgreSQL restarting) is counted, and a credential whose status
    change was not acknowledged is left out of the status check (it may have happened)."""

    def __init__(self, base_url: str, token: str, learners: list[str], programmes: list[str],
                 seed: int) -> None:
        super().__init__(name="writer", daemon=True)
        self.base_url, self.token = base_url, token
        self.learners, self.programmes = learners, programmes
        self.rng = random.Random(seed)
        self.halt = threading.Event()
        self.expected: dict[str, tuple[str, str]] = {}  # credential -> (learner, status)
        self.uncertain: set[str] = set()
        self.acknowledged = 0
        self.failed: list[str] = []
        self.error: BaseException | None = None
        self.paused = threading.Event()

    def _item(self) -> dict[str, str]:
        return {"learner_id": self.rng.choice(self.learners),
                "microcredential_id": self.rng.choice(self.programmes),
                "awarded_on": "2025-03-01"}

    def run(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=60,
                          headers={"Authorization": f"Bearer {self.token}"}) as http:
            while not self.halt.is_set():
                if self.paused.is_set():
                    self.halt.wait(0.05)  # pacing of the load, not a wait for a condition
                    continue
                began, before = time.monotonic(), self.acknowledged
                try:
                    self._one(http)
                except httpx.HTTPError as error:  # the answer was lost: not acknowledged
                    self.failed.append(f"{type(error).__name__}: {error}")
                except BaseException as error:  # reported by the test, never swallowed
                    self.error = error
                    return
                due = began + (self.acknowledged - before) / WRITES_PER_SECOND  # pacing
                self.halt.wait(max(0.05, due - time.monotonic()))

    def _one(self, http: httpx.Client) -> None:
        roll = self.rng.random()
        active = [c for c, (_, s) in self.expected.items() if s == "active"]
        if roll < 0.6 or len(active) < 10:
            items = [self._item() for _ in range(self.rng.randint(20, 60))]
            answer = http.post("/v1/credentials/bulk", json={"items": items})
            if answer.status_code != 200:
                self.failed.append(f"bulk: {answer.status_code} {answer.text[:200]}")
                return
            for item, result in zip(items, answer.json()["results"], strict=True):
                assert result["status"] == "created", result  # a rule refused a valid item
                self.expected[result["id"]] = (item["learner_id"], "active")
                self.acknowledged += 1
            return
        credential = self.rng.choice(active)
        learner = self.expected[credential][0]
        action, status = self.rng.choice([("suspend", "suspended"), ("revoke", "revoked")])
        answer = http.post(f"/v1/credentials/{credential}/{action}", json={"reason": "chaos"})
        if answer.status_code == 200:
            self.expected[credential] = (learner, status)
            self.acknowledged += 1
        else:
            self.uncertain.add(credential)
            self.failed.append(f"{action}: {answer.status_code} {answer.text[:200]}")


class Prober:
    """Read-your-writes: a fresh credential, read back with min_position until it answers."""

    def __init__(self, base_url: str, token: str, learners: list[str], programme: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}"}
        self.learners, self.programme = learners, programme
        self.statuses: list[int] = []

    def write(self) -> tuple[str, int] | None:
        try:
            answer = self.http.post("/v1/credentials", headers=self.headers, json={
                "learner_id": random.choice(self.learners),
                "microcredential_id": self.programme, "awarded_on": "2025-03-01"})
        except httpx.HTTPError:
            return None
        if answer.status_code != 201:
            return None
        return answer.json()["id"], answer.json()["position"]

    def read(self, credential: str, position: int) -> int:
        try:
            status = self.http.get(f"/v1/verify/{credential}",
                                   params={"min_position": position}).status_code
        except httpx.HTTPError:
            status = 0
        self.statuses.append(status)
        return status

    def recovered_after(self, since: float) -> float:
        """Seconds from `since` until a write made after it is read back."""
        written = None
        deadline = time.monotonic() + CONDITION_SECONDS
        while time.monotonic() < deadline:
            written = written or self.write()
            if written is None:
                time.sleep(0.05)  # the API refused the write (database restarting): again
            elif self.read(*written) == 200:
                return time.monotonic() - since
        raise AssertionError("read-your-writes did not come back")


# -- checks after the chaos -------------------------------------------------------------------

def read_models(database_url: str) -> tuple[dict[str, tuple[str, str]], dict[str, Any]]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        status = {key: doc for key, doc in conn.execute(
            "SELECT key, doc::json->>'status' FROM rm_status").fetchall()}
        transcripts = {key: (owner, doc) for key, owner, doc in conn.execute(
            "SELECT key, owner, doc::json->>'status' FROM rm_transcripts "
            "WHERE key NOT LIKE 'learner:%'").fetchall()}
    return transcripts, status


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


def wait_for_api(base_url: str) -> None:
    def ready() -> bool:
        try:
            return httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False
    wait_until(ready, "the API is ready", seconds=60)


# -- the test -------------------------------------------------------------------------------

@pytest.mark.timeout(900)  # a guard against a hang: the test takes 3-7 minutes, see README
def test_kills_and_restarts_under_load_lose_nothing_and_reads_come_back_within_seconds(
        infrastructure: tuple[PrivateKafka, PrivatePostgres], tmp_path: Path) -> None:
    began = time.monotonic()
    kafka, postgres = infrastructure
    rng = random.Random(SEED)
    env = {**os.environ, "DATABASE_URL": postgres.url, "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap,
           "LEDGER_ENVIRONMENT": "production", "LEDGER_DATA_DIR": str(tmp_path),
           "LEDGER_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
           "LEDGER_READ_WAIT_SECONDS": READ_WAIT}
    logs = tmp_path / "logs"
    logs.mkdir()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    api = Worker("api", ["serve", "--port", str(port)], env, logs)
    workers = [api]
    writer: Writer | None = None
    supervisor: Supervisor | None = None
    http = httpx.Client(base_url=base_url, timeout=60)
    try:
        wait_for_api(base_url)
        # Three of each: a killed process takes a while to start again on a loaded machine,
        # and each kill must leave a live member (the others) to take over. They start while
        # the world is seeded (the API has created the schema).
        relays = [Worker(f"relay{n}", ["relay"], env, logs) for n in (1, 2, 3)]
        projectors = [Worker(f"projector{n}", ["projector"], env, logs) for n in (1, 2, 3)]
        workers += relays + projectors
        supervisor = Supervisor(relays + projectors)
        supervisor.start()
        token, learners, programmes = seed_world(http, env)
        prober = Prober(base_url, token, learners, programmes[0])
        started = prober.recovered_after(time.monotonic())
        note(f"pipeline up (seed {SEED}): first read-your-writes after {started:.1f}s")

        writer = Writer(base_url, token, learners, programmes, seed=rng.randrange(2**32))
        writer.start()
        # Read-your-writes under this load with nothing killed, for comparison.
        baseline = [prober.recovered_after(time.monotonic()) for _ in range(3)]
        note(f"read-your-writes under load, nothing killed: {baseline}")
        recoveries: list[tuple[str, float]] = []
        broker_at, postgres_at = KILLS // 3, 2 * KILLS // 3
        outage_reads: list[int] = []
        for kill in range(KILLS):
            if kill in (broker_at, postgres_at):  # no worker starts while a server is down
                wait_until(lambda: projectors_up(postgres.url) == 3 == relays_up(postgres.url),
                           "every worker is up")
            if kill == broker_at:
                def while_down() -> None:
                    mark = writer.acknowledged
                    wait_until(lambda: writer.acknowledged >= mark + 300,
                               "the API accepts writes while the broker is down")
                    written = prober.write()
                    assert written is not None, "a write failed while the broker was down"
                    outage_reads.append(prober.read(*written))
                    # The rest of the outage is the broker's own start-up (a minute on a
                    # loaded machine): a backlog of that minute would measure the catch-up
                    # rate (bench/pipeline.py does), not the recovery.
                    writer.paused.set()
                kafka.restart(while_down)
                writer.paused.clear()
                back = time.monotonic()
                recoveries.append(("broker restart", prober.recovered_after(back)))
                note(f"broker restarted: reads during the outage answered {outage_reads}, "
                     f"read-your-writes {recoveries[-1][1]:.1f}s after it answered again")
            if kill == postgres_at:
                postgres.restart()
                back = time.monotonic()
                recoveries.append(("postgres restart", prober.recovered_after(back)))
                note(f"postgres restarted: read-your-writes {recoveries[-1][1]:.1f}s after "
                     "it answered again")
            time.sleep(rng.uniform(0.2, 1.5))  # the random moment of the next kill
            # The victim leaves a live member behind: another projector, a standby relay.
            if kill % 2 == 0:
                wait_until(lambda: projectors_up(postgres.url) >= 2, "two projectors are up")
                victim = projectors[kill // 2 % len(projectors)]
            else:
                wait_until(lambda: relays_up(postgres.url) >= 2
                           and leading_relay(relays) is not None, "a relay leads, one waits")
                victim = leading_relay(relays)
            killed_at = time.monotonic()
            victim.kill_and_restart()
            recoveries.append((f"kill {victim.name}", prober.recovered_after(killed_at)))
            note(f"{victim.name} killed ({kill + 1}/{KILLS}) at {writer.acknowledged} "
                 f"writes: read-your-writes after {recoveries[-1][1]:.1f}s")

        def enough_writes() -> bool:
            if writer.error is not None:
                raise writer.error
            return writer.acknowledged >= MIN_WRITES
        wait_until(enough_writes, f"{MIN_WRITES} writes are acknowledged", seconds=180)
        writer.halt.set()
        writer.join(timeout=60)
        assert not writer.is_alive(), "the writer did not stop"
        chaos_over = time.monotonic() - began
        with psycopg.connect(postgres.url, autocommit=True) as conn:
            head = conn.execute("SELECT max(notification_id) FROM ledger_events").fetchone()[0]
        probe = next(iter(writer.expected))
        wait_until(lambda: prober.read(probe, head) == 200,
                   f"a read with min_position={head} is answered")
        note(f"caught up at {head} after {time.monotonic() - began:.0f}s")

        # Every acknowledged write, once, with the right status, in both read models.
        transcripts, status = read_models(postgres.url)
        checked = {c: e for c, e in writer.expected.items() if c not in writer.uncertain}
        wrong = [(c, learner, wanted, transcripts.get(c), status.get(c))
                 for c, (learner, wanted) in checked.items()
                 if transcripts.get(c) != (learner, wanted) or status.get(c) != wanted]
        assert not wrong, f"{len(wrong)} acknowledged writes missing or wrong: {wrong[:5]}"
        diff = subprocess.run([LEDGER, "audit", "diff"], env=env, capture_output=True,
                              text=True, timeout=180, check=False)
        assert diff.returncode == 0, f"audit diff:\n{diff.stdout[-3000:]}\n{diff.stderr[-3000:]}"

        seconds = sorted(s for _, s in recoveries)
        kills = [s for what, s in recoveries if what.startswith("kill")]
        note(f"chaos test (seed {SEED}): {writer.acknowledged} acknowledged writes "
             f"({len(writer.failed)} unacknowledged), {head} events, {len(kills)} kills; "
             f"read-your-writes after a kill: p50 {statistics.median(kills):.1f}s, "
             f"p100 {max(kills):.1f}s; after the broker restart "
             f"{dict(recoveries)['broker restart']:.1f}s, after the PostgreSQL restart "
             f"{dict(recoveries)['postgres restart']:.1f}s; without a kill "
             f"{max(baseline):.1f}s at most; chaos over at {chaos_over:.0f}s, "
             f"total {time.monotonic() - began:.0f}s")
        note("recoveries: " + ", ".join(f"{what} {s:.1f}s" for what, s in recoveries))
        assert len(kills) >= 10 and writer.acknowledged >= MIN_WRITES
        assert outage_reads and all(s == 503 for s in outage_reads), outage_reads
        assert max(seconds) <= RECOVERY_LIMIT, f"read-your-writes came back too late: {recoveries}"

        supervisor.halt.set()
        supervisor.join(timeout=30)
        for worker in relays + projectors:
            code, output = worker.stop()
            assert code == 0, f"{worker.name} exited with {code}:\n{output[-5000:]}"
        code, output = api.stop()
        assert code in STOPPED_BY_SIGTERM, output
        crashes = [c for w in relays + projectors for c in w.crashes]
        assert not crashes, "\n".join(["workers exited by themselves:", *crashes])
    finally:
        http.close()
        if supervisor is not None:
            supervisor.halt.set()
        if writer is not None:
            writer.halt.set()
        for worker in workers:
            worker.ensure_stopped()
