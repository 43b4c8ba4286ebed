"""Sign-in through a real Keycloak with the compose stack's realm file, end to end on this machine.

Not a suite test (a 200 MB download, a slow start): a check a maintainer re-runs after changing
deploy/keycloak/ledger-realm.json, the compose stack's Keycloak settings or services/web/signin.py.

  .venv/bin/python scripts/check-keycloak.py [--version 26.4.7]

It fetches org.keycloak:keycloak-quarkus-dist from Maven Central into .cache/keycloak (once),
starts it on 127.0.0.1 with `start-dev --import-realm` and the realm file, split the way the
compose stack is (the browser at http://localhost:PORT, the ledger at http://127.0.0.1:PORT
through LEDGER_OIDC_METADATA_URL and KC_HOSTNAME_BACKCHANNEL_DYNAMIC), runs `ledger serve
--demo` in a fresh data folder with LEDGER_OIDC_* pointing at it, binds the realm's demo user
to the demo learner principal (`ledger principals bind`), and signs in through Keycloak's login
form with Playwright on Debian's Chromium until /me shows the learner's record; on the way it
runs the compose file's Keycloak health check against the management port. Exits non-zero
on any failure; stops Keycloak and the ledger in every case. Needs Java 21+ (JAVA_HOME, default
the Temurin 25 JDK), mvn, chromium, and LEDGER_STANDARDS_DIR for the ledger.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import yaml
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "keycloak"
REALM_FILE = ROOT / "deploy" / "keycloak" / "ledger-realm.json"
COMPOSE_FILE = ROOT / "docker-compose.yml"
VENV = ROOT / ".venv" / "bin"
JAVA_HOME = os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64")
CLIENT_ID = "ledger"
CLIENT_SECRET = "check-keycloak-secret"
DEMO_USER, DEMO_PASSWORD = "learner", "learner"


def log(message: str) -> None:
    print(f"check-keycloak: {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keycloak_home(version: str) -> Path:
    """The unpacked distribution, downloaded from Maven Central on first use."""
    home = CACHE / f"keycloak-{version}"
    if (home / "bin" / "kc.sh").exists():
        return home
    archive = CACHE / f"keycloak-quarkus-dist-{version}.tar.gz"
    if not archive.exists():
        log(f"downloading org.keycloak:keycloak-quarkus-dist:{version} (about 200 MB)")
        subprocess.run(["mvn", "-q", "dependency:copy",
                        f"-Dartifact=org.keycloak:keycloak-quarkus-dist:{version}:tar.gz",
                        f"-DoutputDirectory={CACHE}"], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(CACHE, filter="data")
    return home


def wait_until(what: str, probe, timeout: float, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise SystemExit(f"{what}: the process exited with {process.returncode}")
        try:
            if probe():
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{what}: not ready after {timeout:.0f} s")
        time.sleep(0.5)


@contextmanager
def running(args: list[str], env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen]:
    """A child process in its own process group, stopped (the whole group) on the way out."""
    with log_path.open("w") as out:
        process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            yield process
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def start_keycloak(home: Path, port: int, management: int, public_base: str, work: Path):
    """Keycloak in development mode with a fresh database and the realm file to import."""
    shutil.rmtree(home / "data", ignore_errors=True)
    (home / "data" / "import").mkdir(parents=True)
    shutil.copy(REALM_FILE, home / "data" / "import" / REALM_FILE.name)
    env = {**os.environ, "JAVA_HOME": JAVA_HOME,
           # What the realm file's placeholders read (as the compose service passes them).
           "LEDGER_OIDC_CLIENT_ID": CLIENT_ID, "LEDGER_OIDC_CLIENT_SECRET": CLIENT_SECRET,
           "LEDGER_PUBLIC_BASE_URL": public_base,
           # The compose service's settings, with ports of this machine.
           "KC_HOSTNAME": f"http://localhost:{port}", "KC_HOSTNAME_BACKCHANNEL_DYNAMIC": "true",
           "KC_HEALTH_ENABLED": "true", "KC_HTTP_HOST": "127.0.0.1", "KC_HTTP_PORT": str(port),
           "KC_HTTP_MANAGEMENT_HOST": "127.0.0.1", "KC_HTTP_MANAGEMENT_PORT": str(management)}
    return running([str(home / "bin" / "kc.sh"), "start-dev", "--import-realm"], env,
                   work / "keycloak.log")


def compose_health_check(management: int) -> None:
    """The keycloak service's health check from docker-compose.yml, run here against this
    Keycloak's management port (the container's is 9000)."""
    test = yaml.safe_load(COMPOSE_FILE.read_text())["services"]["keycloak"]["healthcheck"]["test"]
    assert test[0] == "CMD" and "/dev/tcp/127.0.0.1/9000" in test[-1], test
    command = [*test[1:-1], test[-1].replace("/9000", f"/{management}")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=10)
    if done.returncode != 0:
        raise SystemExit(f"the compose health check failed: {done.returncode} {done.stderr}")


def demo_learner_principal(data_dir: Path, env: dict[str, str]) -> str:
    listed = subprocess.run([str(VENV / "ledger"), "principals", "list", "--data-dir",
                             str(data_dir)], env=env, capture_output=True, text=True, check=True)
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    header, body = rows[0], rows[1:]
    learners = [dict(zip(header, row, strict=True)) for row in body]
    learners = [row for row in learners if row["role"] == "learner" and row["revoked_at"] == "-"]
    if len(learners) != 1:
        raise SystemExit(f"expected one demo learner principal, found {len(learners)}")
    return learners[0]["id"]


def sign_in(base: str, kc_front: str) -> str:
    """The browser's way: /me, the ledger's sign-in page, Keycloak's form, back to /me."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"),
                                    args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(f"{base}/me")
            expect(page).to_have_url(re.compile(r"/signin\?next=/me$"))
            page.click("text=Sign in with your national eID")
            expect(page).to_have_url(re.compile(rf"^{re.escape(kc_front)}/realms/ledger/"))
            page.fill("#username", DEMO_USER)
            page.fill("#password", DEMO_PASSWORD)
            page.click("#kc-login")
            expect(page).to_have_url(f"{base}/me", timeout=30_000)
            expect(page.locator("h1")).to_have_text("Your record of achievement")
            expect(page.locator("header")).to_contain_text("Signed in as")
            return page.locator("header").inner_text()
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default="26.4.7", help="keycloak-quarkus-dist version")
    parser.add_argument("--timeout", type=float, default=600, help="seconds for Keycloak")
    version = parser.parse_args().version
    timeout = parser.parse_args().timeout
    if not os.environ.get("LEDGER_STANDARDS_DIR"):
        raise SystemExit("set LEDGER_STANDARDS_DIR (the standards cache) first")
    home = keycloak_home(version)
    kc_port, kc_management, ledger_port = free_port(), free_port(), free_port()
    base = f"http://127.0.0.1:{ledger_port}"
    kc_front, kc_back = f"http://localhost:{kc_port}", f"http://127.0.0.1:{kc_port}"
    issuer = f"{kc_front}/realms/ledger"
    work = Path(tempfile.mkdtemp(prefix="check-keycloak-"))
    log(f"Keycloak {version} on {kc_front} (ledger's view {kc_back}), logs in {work}")
    started = time.monotonic()
    with start_keycloak(home, kc_port, kc_management, base, work) as keycloak:
        ready = f"http://127.0.0.1:{kc_management}/health/ready"
        wait_until("Keycloak", lambda: httpx.get(ready, timeout=5).status_code == 200,
                   timeout, keycloak)
        log(f"Keycloak ready after {time.monotonic() - started:.0f} s")
        compose_health_check(kc_management)
        log("the compose file's health check passes")
        # The back channel: issuer as the browser sees it, endpoints the ledger calls here.
        metadata_url = f"{kc_back}/realms/ledger/.well-known/openid-configuration"
        metadata = httpx.get(metadata_url, timeout=10).raise_for_status().json()
        assert metadata["issuer"] == issuer, metadata["issuer"]
        assert metadata["authorization_endpoint"].startswith(kc_front), metadata
        assert metadata["token_endpoint"].startswith(kc_back), metadata
        assert "S256" in metadata["code_challenge_methods_supported"]
        log("discovery: " + json.dumps({k: metadata[k] for k in (
            "issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")}))

        data_dir = work / "ledger"
        env = {**os.environ, "LEDGER_ENVIRONMENT": "development",
               "LEDGER_PUBLIC_BASE_URL": base, "LEDGER_OIDC_ISSUER": issuer,
               "LEDGER_OIDC_METADATA_URL": metadata_url, "LEDGER_OIDC_CLIENT_ID": CLIENT_ID,
               "LEDGER_OIDC_CLIENT_SECRET": CLIENT_SECRET}
        env.pop("DATABASE_URL", None)
        env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
        serve = [str(VENV / "ledger"), "serve", "--demo", "--port", str(ledger_port),
                 "--data-dir", str(data_dir)]
        with running(serve, env, work / "ledger.log") as ledger:
            wait_until("the ledger", lambda: httpx.get(f"{base}/readyz", timeout=5)
                       .status_code == 200, 900, ledger)
            principal = demo_learner_principal(data_dir, env)
            subject = json.loads(REALM_FILE.read_text())["users"][0]["id"]
            subprocess.run([str(VENV / "ledger"), "principals", "bind", principal,
                            "--issuer", issuer, "--subject", subject,
                            "--data-dir", str(data_dir)], env=env, check=True)
            header = sign_in(base, kc_front)
    log(f"signed in through Keycloak {version} and reached /me ({' '.join(header.split())!r})")
    shutil.rmtree(work, ignore_errors=True)
    print("OK")


if __name__ == "__main__":
    main()
