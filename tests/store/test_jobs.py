"""Job rows on SQLite and PostgreSQL: the Job record, the read queries and the row statements."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.core.commands import JobKind
from app.store.engine import Store
from app.store.jobs import JobReader, runnable_jobs, update_jobs, upsert_job
from app.store.queue import Queue
from app.store.tables import jobs
from tests.conftest import ManualClock
from tests.store.test_queue import REPO, claimed, command

# -- reading ----------------------------------------------------------------------------------


async def test_recent_last_job_counts_and_cost(queue: Queue) -> None:
    _, fix_id = await queue.enqueue(command(number=1, kind="fix_issue"))
    _, help_id = await queue.enqueue(command(number=1, kind="help"))
    _, other_id = await queue.enqueue(command(number=2, kind="fix_issue"))
    await queue.set_cost(fix_id, 0.5)
    assert [job.id for job in await queue.recent()] == [other_id, help_id, fix_id]
    assert [job.id for job in await queue.recent(limit=1)] == [other_id]
    last = await queue.last_job(REPO, 1)
    assert last is not None and last.id == help_id
    last_fix = await queue.last_job(REPO, 1, kinds={"fix_issue", "fix_pr"})
    assert last_fix is not None and (last_fix.id, last_fix.cost_usd) == (fix_id, 0.5)
    assert await queue.last_job(REPO, 3) is None
    await claimed(queue)
    counts = await queue.counts()
    assert counts == {"queued": 2, "running": 1, "succeeded": 0, "failed": 0, "cancelled": 0}


async def test_earlier_jobs_of_a_repository_newest_first(queue: Queue) -> None:
    _, fix_id = await queue.enqueue(command(number=1, kind="fix_issue"))
    _, help_id = await queue.enqueue(command(number=1, kind="help"))
    _, review_id = await queue.enqueue(command(number=2, kind="address_review"))
    await queue.enqueue(replace(command(number=1), repo="octo/other"))
    _, newest = await queue.enqueue(command(number=3, kind="fix_issue"))
    kinds: tuple[JobKind, ...] = ("fix_issue", "address_review")
    assert [job.id for job in await queue.earlier(REPO, newest, kinds)] == [review_id, fix_id]
    assert [job.id for job in await queue.earlier(REPO, review_id, kinds)] == [fix_id]
    assert await queue.earlier(REPO, fix_id, kinds) == []
    helps: tuple[JobKind, ...] = ("help",)
    assert [job.id for job in await queue.earlier(REPO, newest, helps)] == [help_id]


async def test_a_reader_alone_sees_the_jobs_a_queue_wrote(store: Store, queue: Queue) -> None:
    reader = JobReader(store)
    empty = {"queued": 0, "running": 0, "succeeded": 0, "failed": 0, "cancelled": 0}
    assert (await reader.counts(), await reader.recent(), await reader.get(1)) == (empty, [], None)
    _, job_id = await queue.enqueue(command(number=4, notes="n"))
    job = await reader.get(job_id)
    assert job is not None and (job.number, job.command) == (4, command(number=4, notes="n"))
    assert await reader.counts() == empty | {"queued": 1}


# -- statements the queue runs ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("second_number", "expected_counts"), [(1, [1, 2]), (2, [1, 1])], ids=["same", "other"]
)
async def test_upsert_job_inserts_or_appends_to_the_queued_job_with_its_dedupe_key(
    store: Store, second_number: int, expected_counts: list[int]
) -> None:
    first, second = command(delivery="d-1"), command(number=second_number, delivery="d-2")
    async with store.transaction(write=True) as conn:
        first_id, first_count = await upsert_job(conn, first, 10.0, max_attempts=3)
        second_id, second_count = await upsert_job(conn, second, 11.0, max_attempts=3)
    assert [first_count, second_count] == expected_counts
    assert (second_id == first_id) is (second_number == 1)
    job = await JobReader(store).get(first_id)
    assert job is not None and job.commands == ((first, second) if second_number == 1 else (first,))


async def test_update_jobs_returns_the_matching_rows_as_they_are_now(store: Store) -> None:
    async with store.transaction(write=True) as conn:
        job_id, _ = await upsert_job(conn, command(), 10.0, max_attempts=3)
        (changed,) = await update_jobs(conn, jobs.c.id == job_id, error="boom", cost_usd=2.5)
        unmatched = await update_jobs(conn, jobs.c.id == job_id + 1, error="never")
    assert (changed.id, changed.error, changed.cost_usd, changed.state) == (
        job_id,
        "boom",
        2.5,
        "queued",
    )
    assert unmatched == []


async def test_runnable_jobs_lists_due_jobs_oldest_first_up_to_the_limit(
    store: Store, clock: ManualClock
) -> None:
    queue = Queue(store, clock=clock)
    ids = [(await queue.enqueue(command(number=n)))[1] for n in (1, 2, 3)]
    async with store.transaction(write=True) as conn:
        await update_jobs(conn, jobs.c.id == ids[0], run_after=clock.now + 5)  # not due yet
        rows = (await conn.execute(runnable_jobs(conn, clock.now, limit=1))).all()
        later = (await conn.execute(runnable_jobs(conn, clock.now + 5, limit=5))).all()
    assert [row.id for row in rows] == [ids[1]]
    assert [row.id for row in later] == [ids[1], ids[2], ids[0]]
