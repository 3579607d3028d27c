"""Slack benchmark: a signed Slack request -> its HTTP answer, and -> the status message posted.

(a) Honk's `POST /slack/events` (signature checked by bolt, the request recorded in SQLite, then
    the ack) against a bare bolt app that only acks, same signed `app_mention` events, same run.
    Each runs under uvicorn in its own process on loopback (Honk as `honk serve`, no workers);
    CLIENTS keep-alive clients in this process send.
(b) A linked writer's mention `<@honk> octo/widgets TASK`, one at a time, with an idle
    light-lane worker (`workers_for`): from sending the request to the status message appearing
    in the fake Slack's thread. The GitHub side is the fake GitHub (installation, write access).
    This needs the `slack_request` flow; without it (b) says it cannot be measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from app.core.config import Secret, Settings
from app.flows.registry import FLOWS
from app.flows.services import Services
from app.process import SlackWiring, workers_for
from app.store.accounts import GitHubUser, SlackPerson, TokenGrant
from app.store.queue import Queue
from app.web.server import AppState, create_app
from app.worker import run_workers
from tests.bench.bench_ingress import free_port
from tests.fakes import slack_requests as sr
from tests.fakes.github.api import FakeGitHub, generate_app_key, serve_fake_github
from tests.fakes.loopback import serve_on_loopback
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack
from tests.fakes.slack_requests import BOT_USER_ID, TEAM_ID, USER_ID

CLIENTS = 8
REQUESTS = 2000
WARMUP = 200
STATUS_REQUESTS = 60
REPO = "octo/widgets"
INSTALLATION_ID = 77
GUARD_SECONDS = 30.0  # a hung run fails instead of waiting forever

ROOT = Path(__file__).resolve().parents[2]  # this checkout's `app`, whatever is installed
Start = Callable[[int, Path], subprocess.Popen[bytes]]
Answers = tuple[float, float, float, dict[int, int]]


def main() -> None:
    print(f"slack: {CLIENTS} clients, {REQUESTS} requests a side, {os.cpu_count()} cores")
    asyncio.run(_main())


async def _main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        bare = await _answers(_start_bare, Path(tmp) / "bare")
        honk = await _answers(_start_honk, Path(tmp) / "honk")
        print(f"{'server':<18}{'requests/s':>12}{'p50 ms':>10}{'p99 ms':>10}  statuses")
        for name, (rate, p50, p99, statuses) in (("bare bolt (ack)", bare), ("honk", honk)):
            print(f"{name:<18}{rate:>12.0f}{p50:>10.2f}{p99:>10.2f}  {statuses}")
        print(f"honk answer p99 {honk[2]:.1f} ms (target <= 100)")
        await _status_round(Path(tmp) / "b")


# -- (a) the HTTP answer -------------------------------------------------------------------------

BARE_BOLT = """
import sys
import uvicorn
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from starlette.applications import Starlette
from starlette.routing import Route

secret, token, port = sys.argv[1], sys.argv[2], int(sys.argv[3])

async def authorize(enterprise_id, team_id):
    return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=token)

bolt = AsyncApp(signing_secret=secret, authorize=authorize, process_before_response=True)

@bolt.event("app_mention")
async def ack_only(ack):
    await ack()

handler = AsyncSlackRequestHandler(bolt)

async def events(request):
    return await handler.handle(request)

app = Starlette(routes=[Route("/slack/events", events, methods=["POST"])])
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
"""


def _start_bare(port: int, data: Path) -> subprocess.Popen[bytes]:
    """bolt as Honk configures it (signature checked, authorize=), only acking."""
    command = [sys.executable, "-c", BARE_BOLT, sr.SIGNING_SECRET, BOT_TOKEN, str(port)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _start_honk(port: int, data: Path) -> subprocess.Popen[bytes]:
    """`honk serve` with Slack's HTTP mode configured and no workers (jobs stay queued)."""
    data.mkdir(parents=True)
    env = {
        **os.environ,
        "HONK_PORT": str(port),
        "HONK_WORKERS": "0",
        "HONK_DATA_DIR": str(data),
        "HONK_DATABASE_URL": f"sqlite+aiosqlite:///{data}/honk.db",
        "SLACK_SIGNING_SECRET": sr.SIGNING_SECRET,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": "http://127.0.0.1:9/api/",  # never called on the request path
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    command = [sys.executable, "-m", "app", "serve"]
    return subprocess.Popen(
        command, env=env, cwd=data, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


async def _answers(start: Start, data: Path) -> Answers:
    port = free_port()
    process = start(port, data)
    try:
        await _wait_ready(port, process)
        await _load(port, _mentions(WARMUP))
        started = time.perf_counter()
        latencies, statuses = await _load(port, _mentions(REQUESTS))
        elapsed = time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=30)
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    return len(latencies) / elapsed, statistics.median(latencies), p99, statuses


async def _wait_ready(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + GUARD_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"server did not start within {GUARD_SECONDS:.0f} s")


def _mentions(count: int) -> list[bytes]:
    """Raw HTTP requests: distinct signed `app_mention` events (one job each in Honk)."""
    text = f"<@{BOT_USER_ID}> {REPO} fix the crash"
    requests = []
    for _ in range(count):
        signed = sr.event_callback(sr.app_mention(text))
        head = "".join(f"{name}: {value}\r\n" for name, value in signed.headers.items())
        requests.append(
            f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}"
            f"Content-Length: {len(signed.body)}\r\n\r\n".encode()
            + signed.body
        )
    return requests


async def _load(port: int, requests: list[bytes]) -> tuple[list[float], dict[int, int]]:
    """CLIENTS keep-alive connections (raw asyncio HTTP/1.1: light, not the bottleneck)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def one_client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while requests:
                request = requests.pop()
                started = time.perf_counter()
                writer.write(request)
                status = await _read_response(reader)
                latencies.append((time.perf_counter() - started) * 1000)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    await asyncio.gather(*(one_client() for _ in range(CLIENTS)))
    return latencies, statuses


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    length = next(
        (int(line.split(":", 1)[1]) for line in head if line.lower().startswith("content-length:")),
        0,
    )
    await reader.readexactly(length)
    return int(head[0].split()[1])


@contextlib.asynccontextmanager
async def _served(app: Starlette) -> AsyncIterator[str]:
    """uvicorn on 127.0.0.1 in this loop, the app's lifespan run; yields the base URL."""
    async with serve_on_loopback(app, lifespan="on") as url:
        yield url


def _settings(data: Path, slack: FakeSlack, **changes: Any) -> Settings:
    settings = Settings(
        data_dir=data,
        database_url=f"sqlite+aiosqlite:///{data}/honk.db",
        workers=0,
        slack_bot_token=Secret(BOT_TOKEN),
        slack_signing_secret=Secret(sr.SIGNING_SECRET),
        slack_api_url=slack.url,
        secret_key=Secret("bench-slack-key"),
    )
    return replace(settings, **changes)


# -- (b) the status message ----------------------------------------------------------------------


async def _status_round(data: Path) -> None:
    if "slack_request" not in FLOWS:
        print("request -> status message: not measurable: no slack_request flow")
        return
    key = generate_app_key()
    fake = FakeGitHub(public_key_pem=key.public_pem, app_id=4242)
    fake.add_repo(REPO, installation_id=INSTALLATION_ID).set_permission("mona", "write")
    async with serve_fake_github(fake) as github_url, FakeSlack() as slack:
        settings = _settings(
            data, slack, github_app_id=4242, github_private_key=Secret(key.private_pem),
            github_api_url=github_url,
        )  # fmt: skip
        served = _served(_app_with_an_idle_worker(settings))
        async with served as url, httpx.AsyncClient(base_url=url) as client:
            waits = await _time_statuses(client, slack)
    waits.sort()
    p95 = waits[int(len(waits) * 0.95) - 1]
    print(f"request -> status message ({len(waits)} requests, one at a time, idle worker):")
    print(f"  p50 {statistics.median(waits):.1f} ms, p95 {p95:.1f} ms (target p95 <= 1000)")


def _app_with_an_idle_worker(settings: Settings) -> Starlette:
    """Honk's routes and Slack surface, with only the light-lane worker (no agent workers)."""
    wiring = SlackWiring()

    async def light_worker(state: AppState, stop: asyncio.Event) -> None:
        queue = await state.get_queue()
        await _link_writer(settings, queue)
        await run_workers(workers_for(queue, settings, state.wake, count=0), stop)

    return create_app(settings, background=light_worker, extra_routes=wiring.routes)


async def _link_writer(settings: Settings, queue: Queue) -> None:
    """Mona (a writer on the repository) has linked the Slack person."""
    accounts = Services(settings, queue).accounts
    await accounts.save_user(GitHubUser(583231, "mona"), TokenGrant("ghu_" + "u" * 36))
    await accounts.link(SlackPerson(TEAM_ID, USER_ID), 583231)


async def _time_statuses(client: httpx.AsyncClient, slack: FakeSlack) -> list[float]:
    waits = []
    for index in range(STATUS_REQUESTS):
        ts = f"{1_766_000_000 + index}.000100"
        event = sr.app_mention(f"<@{BOT_USER_ID}> {REPO} add test {index}", ts=ts)
        request = sr.event_callback(event)
        started = time.perf_counter()
        response = await client.post("/slack/events", content=request.body, headers=request.headers)
        if response.status_code != 200:
            raise RuntimeError(f"Honk answered {response.status_code}: {response.text}")
        await _until(lambda ts=ts: any(m.thread_ts == ts for m in slack.messages))
        waits.append((time.perf_counter() - started) * 1000)
    return waits


async def _until(done: Callable[..., bool]) -> None:
    deadline = time.monotonic() + GUARD_SECONDS
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError(f"no status message within {GUARD_SECONDS:.0f} s")
        await asyncio.sleep(0.001)


if __name__ == "__main__":
    main()
