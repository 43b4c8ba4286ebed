"""A minimal keep-alive HTTP/1.1 load generator on raw asyncio streams.

The benchmark client shares two cores with the server and PostgreSQL, so it must cost as
little as possible per request: requests are pre-encoded bytes, responses are read by
Content-Length, no HTTP library in the loop.
"""

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    requests: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def encode_post(path: str, body: bytes, headers: dict[str, str]) -> bytes:
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json",
            f"Content-Length: {len(body)}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for line in lines[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:].strip())
    return status, await reader.readexactly(length)


async def _client(port: int, requests: Sequence[bytes], result: LoadResult,
                  on_body: Callable[[int, bytes], None] | None) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for request in requests:
            started = time.perf_counter()
            writer.write(request)
            status, body = await _read_response(reader)
            result.latencies.append(time.perf_counter() - started)
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if on_body:
                on_body(status, body)
    finally:
        writer.close()


def run_load(port: int, requests: Sequence[bytes], clients: int,
             on_body: Callable[[int, bytes], None] | None = None) -> LoadResult:
    """Send every request once, spread over `clients` keep-alive connections."""
    shares = [requests[i::clients] for i in range(clients)]
    result = LoadResult(requests=len(requests), seconds=0.0)

    async def main() -> None:
        started = time.perf_counter()
        await asyncio.gather(*(_client(port, share, result, on_body) for share in shares))
        result.seconds = time.perf_counter() - started

    asyncio.run(main())
    return result
