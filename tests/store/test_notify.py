"""LISTEN/NOTIFY: a job queued by one process wakes an idle worker of another at once."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text

from app.core.commands import Command, JobKind
from app.core.config import Settings
from app.flows.context import Flow, JobContext
from app.store.engine import Store
from app.store.notify import JobListener, _dsn, channel_of
from app.store.queue import Queue
from app.worker import Worker
from tests.conftest import Database, StoreOpener, _postgres_execute

ON_POSTGRES = pytest.mark.parametrize("database", ["postgres"], indirect=True)
NEVER = 3600.0  # a poll interval no test waits for
PROMPTLY = 10.0  # generous upper bound for "at once" on a loaded machine; NEVER is far beyond


def command(number: int, delivery: str | None = None) -> Command:
    return Command(
        kind="help",
        repo="octo/repo",
        number=number,
        installation_id=1,
        sender="mona",
        delivery_id=delivery or f"d-{number}",
    )


class IdleWorker:
    """A worker of its own "process" (its own engine) that polls only every NEVER seconds,
    woken by its own JobListener; `done` collects the jobs it ran."""

    def __init__(self, store: Store) -> None:
        self.done: asyncio.Queue[int] = asyncio.Queue()
        self.wake = asyncio.Event()
        self.listener = JobListener(store, self.wake.set)
        flows: dict[JobKind, Flow] = {"help": self._flow}
        settings = Settings(lease_seconds=30)
        self.worker = Worker(
            Queue(store), settings, flows=flows, wake=self.wake, poll_seconds=NEVER, name="idle"
        )

    async def _flow(self, ctx: JobContext) -> dict[str, Any]:
        await self.done.put(ctx.job.id)
        return {}

    async def next_job(self) -> int:
        return await asyncio.wait_for(self.done.get(), timeout=PROMPTLY)


@pytest.fixture
async def idle(open_store: StoreOpener) -> AsyncIterator[IdleWorker]:
    idle = IdleWorker(await open_store())
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(idle.listener.run(stop)),
        asyncio.create_task(idle.worker.run(stop)),
    ]
    await asyncio.wait_for(idle.listener.listening.wait(), timeout=PROMPTLY)
    await asyncio.sleep(0.2)  # the worker's first claim found nothing; it now sleeps NEVER s
    yield idle
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=PROMPTLY)


@pytest.mark.postgres
@ON_POSTGRES
@pytest.mark.parametrize("enqueue", ["enqueue", "accept_delivery"])
async def test_a_job_queued_elsewhere_wakes_an_idle_worker_without_its_poll(
    idle: IdleWorker, open_store: StoreOpener, enqueue: str
) -> None:
    web = Queue(await open_store())  # the web process: another engine, other connections
    if enqueue == "enqueue":
        _, job_id = await web.enqueue(command(1))
    else:
        _, maybe_id = await web.accept_delivery("g-1", "issue_comment", "created", command(1))
        assert maybe_id is not None
        job_id = maybe_id
    assert await idle.next_job() == job_id
    assert idle.listener.notifications >= 1


@pytest.mark.postgres
@ON_POSTGRES
async def test_the_listener_reconnects_after_its_connection_is_killed(
    idle: IdleWorker, open_store: StoreOpener
) -> None:
    web_store = await open_store()
    killed = idle.listener.backend_pid
    async with web_store.transaction() as conn:
        await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": killed})
    for _ in range(int(PROMPTLY / 0.1)):
        if idle.listener.listening.is_set() and idle.listener.backend_pid != killed:
            break
        await asyncio.sleep(0.1)
    _, job_id = await Queue(web_store).enqueue(command(2))
    assert idle.listener.backend_pid != killed
    assert await idle.next_job() == job_id


@pytest.mark.postgres
@ON_POSTGRES
async def test_notify_is_sent_on_commit_only_for_a_new_job(
    database: Database, open_store: StoreOpener
) -> None:
    store = await open_store()
    queue = Queue(store)
    heard: asyncio.Queue[str] = asyncio.Queue()
    conn = await asyncpg.connect(_dsn(store.engine.url))
    try:
        await conn.add_listener(
            channel_of(database.schema or ""), lambda *a: heard.put_nowait(a[3])
        )
        await queue.accept_delivery("g-1", "issue_comment", "created", command(1))
        await queue.accept_delivery("g-1", "issue_comment", "created", command(1))  # rolled back
        await queue.enqueue(command(1, delivery="d-again"))  # coalesced into the queued job
        await conn.execute(f"NOTIFY \"{channel_of(database.schema or '')}\", 'end'")
        got = [await asyncio.wait_for(heard.get(), timeout=PROMPTLY) for _ in range(2)]
    finally:
        await conn.close()
    assert got == ["", "end"]


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_on_sqlite_the_listener_has_nothing_to_do(open_store: StoreOpener) -> None:
    listener = JobListener(await open_store(), lambda: None)
    await asyncio.wait_for(listener.run(asyncio.Event()), timeout=PROMPTLY)
    assert not listener.listening.is_set()


@pytest.mark.postgres
@ON_POSTGRES
async def test_a_schema_name_too_long_for_a_channel_still_enqueues_and_wakes(
    database: Database,
) -> None:
    long = f"honk_t_{secrets.token_hex(4)}_{'x' * 46}"  # 63 characters: the longest schema
    await _postgres_execute(f"CREATE SCHEMA {long}")
    store = await Store.open(database.url, schema=long)
    try:
        idle = IdleWorker(store)
        stop = asyncio.Event()
        listening = asyncio.create_task(idle.listener.run(stop))
        await asyncio.wait_for(idle.listener.listening.wait(), timeout=PROMPTLY)
        idle.wake.clear()
        await Queue(store).enqueue(command(3))
        await asyncio.wait_for(idle.wake.wait(), timeout=PROMPTLY)
        stop.set()
        await listening
    finally:
        await store.close()
        await _postgres_execute(f"DROP SCHEMA {long} CASCADE")
