"""An open-model load generator: requests arrive on a Poisson schedule whatever the server does, and each one's
latency counts from the moment it was due, not from when a free connection sent it (no coordinated omission).

Plain asyncio streams over keep-alive HTTP/1.1 connections, requests built once: about 0.1 ms of client CPU a
request, so that a 2-core box can drive its own server at a few hundred requests per second and leave it the CPU.

    results = asyncio.run(run_open_loop("127.0.0.1", 8000, requests, rate=80.0, duration_s=20.0))
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    """One POST, with the kind it is counted under (text, photo, voice, video) and its bytes on the wire (`raw`)."""

    kind: str
    path: str
    body: bytes
    content_type: str
    raw: bytes

    @classmethod
    def build(cls, kind: str, host: str, path: str, body: bytes, content_type: str) -> "Request":
        lines = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Type: {content_type}",
                 f"Content-Length: {len(body)}", "", ""]
        return cls(kind, path, body, content_type, "\r\n".join(lines).encode() + body)


@dataclass
class Outcome:
    """What became of one request: status 0 when the connection failed, -1 when it ran past the time-out."""

    kind: str
    due: float
    latency_s: float
    status: int
    retry_after: str | None = None


@dataclass
class Run:
    """Every outcome of a run, the rate asked for and how long arrivals lasted."""

    rate: float
    duration_s: float
    outcomes: list[Outcome] = field(default_factory=list)
    late_starts: int = 0  # arrivals that found every connection busy and waited for one


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, str | None]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, chunked, retry_after = 0, False, None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
        elif name == "retry-after":
            retry_after = value.strip()
    if chunked:
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status, retry_after


class _Pool:
    def __init__(self, host: str, port: int, size: int):
        self.host, self.port = host, port
        self.idle: asyncio.Queue = asyncio.Queue()
        for _ in range(size):
            self.idle.put_nowait(None)  # a slot; its connection is opened on first use

    async def send(self, request: Request, timeout_s: float) -> tuple[int, str | None]:
        conn = await self.idle.get()
        try:
            if conn is None:
                conn = await asyncio.open_connection(self.host, self.port)
            reader, writer = conn
            writer.write(request.raw)
            status, retry_after = await asyncio.wait_for(_read_response(reader), timeout_s)
            return status, retry_after
        except asyncio.TimeoutError:
            _close(conn)
            conn = None
            return -1, None
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            _close(conn)
            conn = None
            return 0, None
        finally:
            self.idle.put_nowait(conn)


def _close(conn) -> None:
    if conn is not None:
        conn[1].close()


async def run_open_loop(host: str, port: int, requests: Sequence[Request], rate: float, duration_s: float, *,
                        connections: int = 256, timeout_s: float = 30.0, seed: int = 0,
                        weights: Sequence[float] | None = None) -> Run:
    """Send `requests` (drawn at random, by `weights` when given) at `rate` per second on average for `duration_s`,
    over at most `connections` connections; wait for the stragglers (up to `timeout_s` each)."""
    rng = random.Random(seed)
    pool = _Pool(host, port, connections)
    run = Run(rate, duration_s)
    tasks = []
    start = time.perf_counter()
    due = start

    async def one(request: Request, at: float) -> None:
        if pool.idle.empty():
            run.late_starts += 1
        status, retry_after = await pool.send(request, timeout_s)
        run.outcomes.append(Outcome(request.kind, at - start, time.perf_counter() - at, status, retry_after))

    while True:
        due += rng.expovariate(rate)
        if due - start > duration_s:
            break
        wait = due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        request = rng.choices(requests, weights=weights)[0] if weights else rng.choice(requests)
        tasks.append(asyncio.ensure_future(one(request, due)))
    await asyncio.gather(*tasks)
    while not pool.idle.empty():
        _close(pool.idle.get_nowait())
    return run
