"""PostgreSQL LISTEN/NOTIFY: a new job wakes idle workers in every process at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection

from app.store.engine import PG_CONNECT_TIMEOUT, Store

log = logging.getLogger("honk.store")
# One channel per schema (`honk_jobs:SCHEMA`): deployments sharing a database through schemas
# wake only their own workers. A spurious wake-up costs one empty claim.
CHANNEL_PREFIX = "honk_jobs:"
CHANNEL_MAX = 63  # PostgreSQL's longest identifier: longer channel names are refused
RECONNECT_SECONDS = 2.0
KEEPALIVE_SECONDS = 30.0  # a silent connection is asked a query: a dead one is replaced


async def notify_new_job(conn: AsyncConnection) -> None:
    """Tell listening workers a job can run; PostgreSQL delivers it when `conn`'s transaction
    commits (never when it rolls back). A no-op on SQLite (one process: the wake event)."""
    if conn.dialect.name == "postgresql":
        notify = text("SELECT pg_notify(left(:prefix || current_schema(), :max), '')")
        await conn.execute(notify, {"prefix": CHANNEL_PREFIX, "max": CHANNEL_MAX})


class JobListener:
    """A dedicated asyncpg connection LISTENing for new jobs; each notification calls `wake`.

    Polling stays the fallback: when the connection drops, workers keep polling while the
    listener reconnects, and every (re)connection wakes them once for what it missed.
    """

    def __init__(self, store: Store, wake: Callable[[], None]) -> None:
        self.store = store
        self.wake = wake
        self.listening = asyncio.Event()  # set while LISTEN is active (tests wait on it)
        self.notifications = 0
        self.backend_pid: int | None = None  # the listening connection's server process

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until `stop` is set; returns at once on SQLite."""
        if self.store.dialect != "postgresql":
            return
        while not stop.is_set():
            try:
                await self._listen_once(stop)
            except Exception as exc:  # never ends the workers: polling goes on meanwhile
                log.warning("job listener reconnects", extra={"error": type(exc).__name__})
            self.listening.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=RECONNECT_SECONDS)

    async def _listen_once(self, stop: asyncio.Event) -> None:
        settings = {"application_name": "honk-listener"}
        if self.store.schema is not None:
            settings["search_path"] = self.store.schema
        dsn = _dsn(self.store.engine.url)
        conn = await asyncpg.connect(dsn, timeout=PG_CONNECT_TIMEOUT, server_settings=settings)
        lost = asyncio.Event()
        try:
            conn.add_termination_listener(lambda _conn: lost.set())
            schema = await conn.fetchval("SELECT current_schema()")
            await conn.add_listener(channel_of(schema), self._notified)
            self.backend_pid = conn.get_server_pid()
            self.listening.set()
            self.wake()  # a job queued while the listener was away is not missed
            while not await _stopped_or_lost(stop, lost, KEEPALIVE_SECONDS):
                await conn.fetchval("SELECT 1", timeout=PG_CONNECT_TIMEOUT)
        finally:
            with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await conn.close(timeout=2)

    def _notified(self, *_args: Any) -> None:
        self.notifications += 1
        self.wake()


def channel_of(schema: str) -> str:
    """The channel a schema's new jobs are announced on (as `notify_new_job` names it)."""
    return f"{CHANNEL_PREFIX}{schema}"[:CHANNEL_MAX]


async def _stopped_or_lost(stop: asyncio.Event, lost: asyncio.Event, within: float) -> bool:
    """Whether `stop` or `lost` was set within `within` seconds."""
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(lost.wait())]
    done, _ = await asyncio.wait(waiters, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()
    return bool(done)


def _dsn(url: URL) -> str:
    """The engine's URL as a plain libpq DSN for asyncpg (password kept, never logged)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)
