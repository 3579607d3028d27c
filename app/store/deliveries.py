"""The request path's side of the queue: a delivery recorded and its job enqueued at once."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.commands import Command
from app.store.engine import Store
from app.store.jobs import JobReader, dialect_insert, upsert_job
from app.store.notify import notify_new_job
from app.store.tables import deliveries

Outcome = Literal["queued", "coalesced", "duplicate", "ignored"]
DELIVERY_COLUMNS = (
    "delivery_id", "event", "action", "received_at", "outcome", "job_id", "content_type", "body",
)  # fmt: skip
REPLAY_PREFIX = "replay-"


@dataclass(frozen=True)
class RawBody:
    """A delivery's body as received (up to 25 MiB), kept for `honk replay` with its record."""

    body: bytes
    content_type: str


@dataclass(frozen=True)
class SavedDelivery:
    """A recorded delivery; `raw` is None when its body was not kept (Slack's, older ones)."""

    delivery_id: str
    event: str
    action: str | None
    received_at: float
    raw: RawBody | None


class _Redelivered(Exception):
    """Rolls back accept_delivery's transaction when the delivery id was seen before."""


class DeliveryQueue(JobReader):
    """Deliveries in, jobs queued: one job per dedupe key while it waits (later ones merge in)."""

    def __init__(
        self, store: Store, *, max_attempts: int = 3, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(store)
        self.max_attempts = max_attempts
        self.clock = clock

    async def accept_delivery(
        self,
        delivery_id: str,
        event: str,
        action: str | None,
        command: Command | None,
        raw: RawBody | None = None,
    ) -> tuple[Outcome, int | None]:
        """Record a webhook delivery and enqueue its command, in one transaction.

        The job is written first and the delivery row last: a redelivered id finds its row
        taken, and the whole transaction (job included) rolls back. `raw` is kept with the row.
        """
        now = self.clock()
        outcome: Outcome = "ignored"
        job_id: int | None = None
        try:
            async with self.store.transaction(write=True) as conn:
                if command is not None:
                    outcome, job_id = await self._upsert_job(conn, command, now)
                saved = (raw.content_type, raw.body) if raw is not None else (None, None)
                row = (delivery_id, event, action, now, outcome, job_id, *saved)
                if not await self._insert_delivery(conn, *row):
                    raise _Redelivered
        except _Redelivered:
            return "duplicate", await self._delivery_job_id(delivery_id)
        return outcome, job_id

    async def enqueue(self, command: Command) -> tuple[Outcome, int]:
        """Queue `command`, or append it to the queued job with the same dedupe key."""
        async with self.store.transaction(write=True) as conn:
            return await self._upsert_job(conn, command, self.clock())

    async def forget_deliveries(self, before: float) -> int:
        """Delete the records of deliveries received before `before`; how many went.

        A delivery GitHub redelivers after that is taken as new: it is long past its use."""
        gone = delete(deliveries).where(deliveries.c.received_at < before)
        async with self.store.transaction(write=True) as conn:
            return (await conn.execute(gone)).rowcount or 0

    async def saved_delivery(self, delivery_id: str) -> SavedDelivery | None:
        """The delivery recorded under `delivery_id` (within the retention period), or None."""
        query = select(
            deliveries.c.event, deliveries.c.action, deliveries.c.received_at,
            deliveries.c.content_type, deliveries.c.body,
        ).where(deliveries.c.delivery_id == delivery_id)  # fmt: skip
        async with self.store.transaction() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        raw = None if row.body is None else RawBody(bytes(row.body), row.content_type or "")
        return SavedDelivery(delivery_id, row.event, row.action, row.received_at, raw)

    async def replay_id(self, delivery_id: str) -> str:
        """`replay-<delivery_id>-<n>`, n one more than the replays of it already recorded."""
        prefix = f"{REPLAY_PREFIX}{delivery_id}-"
        query = select(deliveries.c.delivery_id).where(
            deliveries.c.delivery_id.startswith(prefix, autoescape=True)
        )
        async with self.store.transaction() as conn:
            taken = (await conn.execute(query)).scalars().all()
        numbers = [int(n) for n in (t.removeprefix(prefix) for t in taken) if n.isdigit()]
        return f"{prefix}{max(numbers, default=0) + 1}"

    async def _upsert_job(
        self, conn: AsyncConnection, command: Command, now: float
    ) -> tuple[Outcome, int]:
        job_id, commands_count = await upsert_job(conn, command, now, self.max_attempts)
        if commands_count == 0:  # the queued job already carries MAX_COALESCED requests
            return "ignored", job_id
        if commands_count > 1:
            return "coalesced", job_id
        await notify_new_job(conn)  # delivered on commit, in the same transaction
        return "queued", job_id

    @staticmethod
    async def _insert_delivery(conn: AsyncConnection, *values: Any) -> bool:
        names = DELIVERY_COLUMNS
        insert = dialect_insert(conn)(deliveries).values(dict(zip(names, values, strict=True)))
        inserted = await conn.execute(
            insert.on_conflict_do_nothing(index_elements=[deliveries.c.delivery_id]).returning(
                deliveries.c.delivery_id
            )
        )
        return inserted.first() is not None

    async def _delivery_job_id(self, delivery_id: str) -> int | None:
        query = select(deliveries.c.job_id).where(deliveries.c.delivery_id == delivery_id)
        async with self.store.transaction() as conn:
            job_id = (await conn.execute(query)).scalar_one_or_none()
        return None if job_id is None else int(job_id)
