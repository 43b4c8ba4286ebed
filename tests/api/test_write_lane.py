"""The write lane (services/api/write_lane.py) answers exactly as FastAPI does: the same
requests sent to the app with and without it get the same statuses, headers and bodies, and it
does serve the write routes (FastAPI's dependency solving never runs for them)."""

import re
import uuid
from collections.abc import Callable
from typing import Any

import fastapi.routing
import httpx

from ledger.application import Ledger
from services.api.app import create_app
from services.api.write_lane import WriteLane
from tests.conftest import ServedLedger, free_port
from tests.helpers import Api, World, build_world, created

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
HEADERS = ("content-type", "cache-control", "x-content-type-options", "www-authenticate")


def _credential(world: World, **changes: Any) -> dict[str, Any]:
    return {"learner_id": world.learner_id, "microcredential_id": world.programme_id,
            "awarded_on": "2025-03-01", "grade": "A", **changes}


def _raw(caller, path: str, content: bytes, **headers: str) -> httpx.Response:
    return caller.http.post(path, content=content, headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {caller.token}",
        **headers})


# Each step: (world, what earlier steps remembered) -> a response. Served with and without
# the lane, on the same ledger, in this order.
STEPS: list[tuple[str, Callable[[World, dict], httpx.Response]]] = [
    ("issue", lambda w, m: m.setdefault("issued", w.provider.post(
        "/v1/credentials", _credential(w)))),
    ("issue with a key", lambda w, m: w.provider.post(
        "/v1/credentials", _credential(w, grade="B"), key=m.setdefault("key", str(uuid.uuid4())))),
    ("retry with the key", lambda w, m: w.provider.post(
        "/v1/credentials", _credential(w, grade="B"), key=m["key"])),
    ("the key with another body", lambda w, m: w.provider.post(
        "/v1/credentials", _credential(w, grade="C"), key=m["key"])),
    ("an over-long key", lambda w, m: w.provider.post(
        "/v1/credentials", _credential(w), key="k" * 201)),
    ("unknown learner", lambda w, m: w.provider.post(
        "/v1/credentials", _credential(w, learner_id=str(uuid.uuid4())))),
    ("award in the future", lambda w, m: w.provider.post(
        "/v1/credentials", _credential(w, awarded_on="2999-01-01"))),
    ("a learner issuing", lambda w, m: w.learner.post("/v1/credentials", _credential(w))),
    ("no token", lambda w, m: w.api.anonymous().post("/v1/credentials", _credential(w))),
    ("a missing field", lambda w, m: w.provider.post(
        "/v1/credentials", {"learner_id": w.learner_id, "awarded_on": "2025-03-01"})),
    ("not JSON", lambda w, m: _raw(w.provider, "/v1/credentials", b"{not json")),
    ("a text body", lambda w, m: _raw(w.provider, "/v1/credentials", b"{}",
                                      **{"Content-Type": "text/plain"})),
    ("revoke", lambda w, m: w.provider.post(
        f"/v1/credentials/{m['issued'].json()['id']}/revoke", {"reason": "issued in error"})),
    ("revoke again", lambda w, m: w.provider.post(
        f"/v1/credentials/{m['issued'].json()['id']}/revoke", {"reason": "issued in error"})),
    ("revoke an unknown one", lambda w, m: w.provider.post(
        f"/v1/credentials/{uuid.uuid4()}/revoke", {"reason": "issued in error"})),
    ("bulk", lambda w, m: w.provider.post("/v1/credentials/bulk", {"items": [
        _credential(w), _credential(w, awarded_on="not a date")]})),
    ("register a provider", lambda w, m: w.qa.post(
        "/v1/providers", {"name": "Batumi Vocational College", "country": "GE",
                          "kind": "vocational"})),
]


def _answer(response: httpx.Response) -> tuple:
    body = _UUID.sub("<id>", response.text)
    body = re.sub(r'"position":\s*\d+', '"position":0', body)
    return (response.status_code, {h: response.headers.get(h) for h in HEADERS},
            "x-request-id" in response.headers, body)


def _without_lane(ledger: Ledger):
    app = create_app(ledger)
    app.user_middleware = [m for m in app.user_middleware if m.cls is not WriteLane]
    return app


def _run(ledger: Ledger, app) -> list[tuple]:
    # Ports of their own: the first server may still be letting go of its port.
    with ServedLedger(ledger, free_port(), app) as url, Api(url, ledger) as api:
        world, memory = build_world(api), {}
        return [(name, _answer(step(world, memory))) for name, step in STEPS]


def test_the_lane_answers_every_request_as_fastapi_does(ledger: Ledger):
    through_fastapi = _run(ledger, _without_lane(ledger))
    through_lane = _run(ledger, create_app(ledger))
    statuses = {name: answer[0] for name, answer in through_fastapi}
    assert statuses["issue"] == 201 and statuses["a learner issuing"] == 403, statuses
    for (name, expected), (_, got) in zip(through_fastapi, through_lane, strict=True):
        assert got == expected, name


def test_the_write_routes_skip_fastapis_dependency_solving(tmp_path, monkeypatch):
    from ledger.bootstrap import bootstrap
    from tests.conftest import make_settings

    solved = []
    original = fastapi.routing.solve_dependencies

    async def counting(*args, **kwargs):
        solved.append(1)
        return await original(*args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counting)
    ledger = bootstrap(make_settings("sqlite", tmp_path, None))
    try:
        app = create_app(ledger)
        lane = WriteLane(app, app)
        assert lane.serves("/v1/credentials") and lane.serves("/v1/credentials/x/revoke")
        assert not lane.serves("/v1/learners/x/erase")  # its body is optional: FastAPI's
        with ServedLedger(ledger, app=app) as url, Api(url, ledger) as api:
            world = build_world(api)  # the tokens are cached by now
            before = len(solved)
            created(world.provider.post("/v1/credentials", _credential(world)))
            created(world.provider.post("/v1/learners", {
                "given_name": "ნინო", "family_name": "ბერიძე", "birth_date": "2001-05-17"}))
            assert len(solved) == before
            world.provider.get(f"/v1/learners/{world.learner_id}/transcript")
            assert len(solved) > before  # the counter does count what FastAPI serves
    finally:
        ledger.close()
