"""The queue's figures for `/metrics`, read from the database (SQLite and PostgreSQL)."""

from __future__ import annotations

from app.core.commands import Command
from app.store.queue import Queue
from app.store.queue_stats import queue_stats
from tests.conftest import ManualClock


def command(number: int) -> Command:
    return Command(
        kind="fix_issue", repo="octo/repo", number=number, installation_id=1, sender="mona",
        delivery_id=f"d-{number}",
    )  # fmt: skip


async def test_an_empty_queue(queue: Queue, clock: ManualClock) -> None:
    stats = await queue_stats(queue.store, clock)
    assert stats.depth == {"queued": 0, "running": 0}
    assert stats.oldest_queued_age == 0.0


async def test_depth_by_state_and_the_oldest_queued_jobs_age(
    queue: Queue, clock: ManualClock
) -> None:
    await queue.enqueue(command(1))
    clock.advance(30)
    await queue.enqueue(command(2))
    clock.advance(10)
    await queue.enqueue(command(3))
    done = await queue.claim("w1")  # the oldest, number 1
    assert done is not None
    await queue.complete(done.id, "w1", {})
    assert await queue.claim("w1") is not None  # number 2 runs
    clock.advance(5)
    stats = await queue_stats(queue.store, clock)
    assert stats.depth == {"queued": 1, "running": 1}
    assert stats.oldest_queued_age == 5.0  # number 3 (numbers 1 and 2 are older, not queued)
