"""Group commit on the request path: concurrent deliveries share one SQLite transaction.

Each delivery still waits for the commit that holds it before GitHub gets its answer, so an
accepted delivery is never lost. While one batch is being written, the deliveries that arrive
queue up and go together in the next one: one thread hop and one commit for many deliveries,
instead of several thread hops, statement builds and write-lock waits for each. The SQL below
is the queue's `accept_delivery` (dedupe on the delivery id, coalescing on the dedupe key)
written once for SQLite; tests hold the two to the same answers. PostgreSQL needs none of
this: it takes concurrent writers as they come (`Queue.accept_delivery`).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from app.core.commands import Command
from app.core.errors import DatabaseUnavailable, StoreError
from app.store.deliveries import RawBody
from app.store.jobs import MAX_COALESCED
from app.store.queue import Outcome, Queue

Accepted = tuple[Outcome, int | None]
MAX_BATCH = 512

_SEEN = "SELECT delivery_id, job_id FROM deliveries WHERE delivery_id IN ({})"
_NEW_DELIVERY = (
    "INSERT INTO deliveries (delivery_id, event, action, received_at, outcome, job_id, "
    "content_type, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPSERT_JOB = (
    "INSERT INTO jobs (kind, repo, number, installation_id, delivery_id, dedupe_key, lock_key, "
    "state, commands, attempts, max_attempts, run_after, cancel_requested, cost_usd, "
    "created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, 0, ?, ?, 0, 0.0, ?, ?) "
    "ON CONFLICT (dedupe_key) WHERE state = 'queued' "
    "DO UPDATE SET commands = json_insert(commands, '$[#]', json(?)), updated_at = ? "
    "WHERE json_array_length(jobs.commands) < ? "
    "RETURNING id, json_array_length(commands)"
)
_QUEUED_JOB = "SELECT id FROM jobs WHERE dedupe_key = ? AND state = 'queued'"


@dataclass(frozen=True)
class Delivery:
    """One verified delivery and the command it maps to (None: nothing to do)."""

    delivery_id: str
    event: str
    action: str | None
    command: Command | None
    raw: RawBody | None = None  # kept for `honk replay`


class Intake:
    """Accepts deliveries into a SQLite database file, many per transaction."""

    def __init__(
        self,
        path: Path,
        *,
        max_attempts: int,
        clock: Callable[[], float] = time.time,
        busy_timeout: float = 5.0,
    ) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self.max_attempts = max_attempts
        self.clock = clock
        self._pending: list[tuple[Delivery, asyncio.Future[Accepted]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="honk-intake")
        self._db: sqlite3.Connection | None = None

    @classmethod
    def for_queue(cls, queue: Queue) -> Intake | None:
        """An intake for the queue's database when it is a SQLite file; None otherwise."""
        url = queue.store.engine.url
        database = url.database
        if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
            return None
        return cls(Path(database), max_attempts=queue.max_attempts, clock=queue.clock)

    async def accept(
        self,
        delivery_id: str,
        event: str,
        action: str | None,
        command: Command | None,
        raw: RawBody | None = None,
    ) -> Accepted:
        """Record the delivery (and its body) and enqueue its command, once it is committed."""
        future: asyncio.Future[Accepted] = asyncio.get_running_loop().create_future()
        self._pending.append((Delivery(delivery_id, event, action, command, raw), future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def close(self) -> None:
        if self._flusher is not None:
            await self._flusher
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close_db)
        self._executor.shutdown(wait=True)

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            items = [delivery for delivery, _ in batch]
            try:
                results = await loop.run_in_executor(self._executor, self._write, items)
            except Exception as exc:  # the executor itself failed: every waiter hears of it
                results = [exc] * len(batch)
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)

    # -- in the intake thread -----------------------------------------------------------

    def _write(self, items: list[Delivery]) -> list[Accepted | Exception]:
        """One transaction for the batch; if it fails, each item alone, so only a bad one fails."""
        try:
            return list(self._transaction(items))
        except Exception as exc:
            if len(items) == 1:
                return [_store_error(exc)]
            return [self._write_one(item) for item in items]

    def _write_one(self, item: Delivery) -> Accepted | Exception:
        try:
            return self._transaction([item])[0]
        except Exception as exc:
            return _store_error(exc)

    def _transaction(self, items: list[Delivery]) -> list[Accepted]:
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            results = self._accept_all(db, items, self.clock())
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return results

    def _accept_all(
        self, db: sqlite3.Connection, items: list[Delivery], now: float
    ) -> list[Accepted]:
        """Deliveries seen before (in the table or earlier in the batch) are duplicates."""
        ids = [item.delivery_id for item in items]
        seen = dict(db.execute(_SEEN.format(",".join("?" * len(ids))), ids).fetchall())
        results: list[Accepted] = []
        rows = []
        for item in items:
            if item.delivery_id in seen:
                results.append(("duplicate", seen[item.delivery_id]))
                continue
            outcome, job_id = self._enqueue(db, item.command, now)
            seen[item.delivery_id] = job_id
            saved = (item.raw.content_type, item.raw.body) if item.raw else (None, None)
            rows.append((item.delivery_id, item.event, item.action, now, outcome, job_id, *saved))
            results.append((outcome, job_id))
        db.executemany(_NEW_DELIVERY, rows)
        return results

    def _enqueue(self, db: sqlite3.Connection, command: Command | None, now: float) -> Accepted:
        if command is None:
            return "ignored", None
        row = db.execute(_UPSERT_JOB, self._job_values(command, now)).fetchone()
        if row is None:  # the queued job already carries MAX_COALESCED requests
            (job_id,) = db.execute(_QUEUED_JOB, (command.dedupe_key,)).fetchone()
            return "ignored", int(job_id)
        return ("queued" if row[1] == 1 else "coalesced"), int(row[0])

    def _job_values(self, command: Command, now: float) -> tuple[object, ...]:
        text = command.to_json()
        return (
            command.kind, command.repo, command.number, command.installation_id,
            command.delivery_id, command.dedupe_key, command.lock_key, f"[{text}]",
            self.max_attempts, now, now, now, text, now, MAX_COALESCED,
        )  # fmt: skip

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=self.busy_timeout)
            # FULL: a delivery answered 202 survives a power loss too (GitHub does not redeliver
            # by itself); group commit spreads the cost of the sync over many deliveries.
            self._db.execute("PRAGMA synchronous=FULL")
        return self._db

    def _close_db(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def _store_error(exc: Exception) -> Exception:
    """sqlite3's errors as Honk's: unreachable or locked is DatabaseUnavailable (a 503)."""
    if isinstance(exc, sqlite3.OperationalError):
        return DatabaseUnavailable(f"database unavailable: {exc}")
    if isinstance(exc, sqlite3.Error):
        return StoreError(f"database error: {exc}")
    return exc
