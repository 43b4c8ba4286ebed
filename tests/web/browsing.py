"""What the pages' tests share: an app served on a loopback port in a thread, and axe-core's
serious findings on the page a browser shows."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Page

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"


@contextmanager
def serving(app: FastAPI, port: int) -> Iterator[str]:
    """The app on 127.0.0.1:port until the block ends; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.02)  # polling a condition with a deadline, not a fixed wait
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def serious_violations(page: Page) -> list[dict]:
    """axe-core's serious and critical findings on the page: rule, impact, how many nodes."""
    assert AXE.is_file(), "run `npm ci` in tests/web/axe (scripts/test.sh does)"
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"])}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]
