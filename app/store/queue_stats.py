"""The queue's figures for metrics, read from the database so that every process agrees."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select

from app.store.engine import Store
from app.store.tables import jobs

WAITING_STATES = ("queued", "running")


@dataclass(frozen=True)
class QueueStats:
    """Jobs queued and running, and how long the oldest queued job has waited (s, 0 if none)."""

    depth: dict[str, int]
    oldest_queued_age: float


async def queue_stats(store: Store, clock: Callable[[], float] = time.time) -> QueueStats:
    """Two indexed queries: jobs per waiting state, and the oldest queued job's creation."""
    by_state = (
        select(jobs.c.state, func.count())
        .where(jobs.c.state.in_(WAITING_STATES))
        .group_by(jobs.c.state)
    )
    oldest = select(func.min(jobs.c.created_at)).where(jobs.c.state == "queued")
    async with store.transaction() as conn:
        counts = {str(state): int(n) for state, n in (await conn.execute(by_state)).all()}
        created = (await conn.execute(oldest)).scalar()
    depth = {state: counts.get(state, 0) for state in WAITING_STATES}
    age = 0.0 if created is None else max(clock() - float(created), 0.0)
    return QueueStats(depth, age)
