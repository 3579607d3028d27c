"""For the PostgreSQL benchmarks: a schema of their own, and worker processes running a cheap job.

A worker process is `python -m tests.bench.pg_workers URL SCHEMA NOTIFY POLL_SECONDS`: one
Worker (as `honk worker` with HONK_WORKERS=1, without the light lane) whose only flow is
`cheap_job`, with the LISTEN/NOTIFY listener when NOTIFY is `1`. It prints `ready` once it
listens (or at once when polling) and stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.commands import Command, JobKind
from app.core.config import Settings
from app.flows.context import Flow, JobContext
from app.store.engine import Store
from app.store.notify import JobListener
from app.store.queue import Queue
from app.worker import Worker, run_workers

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
ROOT = Path(__file__).resolve().parents[2]


def postgres_url() -> str:
    return os.environ.get("HONK_TEST_POSTGRES_URL", DEFAULT_URL)


def command(number: int) -> Command:
    """A `help` job (no lock key) on its own issue, so that none coalesce."""
    return Command(
        kind="help",
        repo="bench/repo",
        number=number,
        installation_id=1,
        sender="bench",
        delivery_id=f"bench-{number}",
    )


async def cheap_job(ctx: JobContext) -> dict[str, Any]:
    """What a job costs the queue without its work: claimed (by the worker), one heartbeat
    here, completed (by the worker). No model, no repository, no tests."""
    await ctx.services.queue.heartbeat(ctx.job.id, ctx.job.lease_owner or "")
    return {}


@asynccontextmanager
async def bench_schema() -> AsyncIterator[str]:
    """A fresh schema on the benchmark's PostgreSQL, dropped afterwards."""
    schema = f"honk_b_{secrets.token_hex(6)}"
    engine = create_async_engine(postgres_url())
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f"CREATE SCHEMA {schema}"))
        yield schema
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        await engine.dispose()


@contextmanager
def worker_processes(schema: str, count: int, *, notify: bool, poll: float) -> Iterator[None]:
    """`count` worker processes on `schema`, each ready when this enters; stopped on exit."""
    argv = [sys.executable, "-m", "tests.bench.pg_workers", postgres_url(), schema]
    argv += ["1" if notify else "0", str(poll)]
    procs = [
        subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in range(count)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=60)


async def _serve(url: str, schema: str, notify: bool, poll: float) -> None:
    store = await Store.open(url, schema=schema)
    stop, wake = asyncio.Event(), asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    flows: dict[JobKind, Flow] = {"help": cheap_job}
    worker = Worker(
        Queue(store), Settings(lease_seconds=60), flows=flows, wake=wake, poll_seconds=poll
    )
    listener = JobListener(store, wake.set)
    tasks = [asyncio.create_task(run_workers([worker], stop, grace=5))]
    if notify:
        tasks.append(asyncio.create_task(listener.run(stop)))
        await listener.listening.wait()
    print("ready", flush=True)
    await asyncio.gather(*tasks)
    await store.close()


if __name__ == "__main__":
    asyncio.run(_serve(sys.argv[1], sys.argv[2], sys.argv[3] == "1", float(sys.argv[4])))
