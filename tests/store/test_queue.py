"""The job queue on SQLite and PostgreSQL: deliveries, claims, leases, retries, cancellation."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select, text, update

from app.core.commands import LIGHT_KINDS, Command, JobKind
from app.core.errors import LeaseLost, QueueError
from app.store.engine import Store
from app.store.jobs import MAX_COALESCED
from app.store.queue import Job, Queue
from app.store.tables import deliveries, jobs
from tests.conftest import Database, ManualClock, StoreOpener

REPO = "octo/repo"


def command(
    number: int = 1, kind: JobKind = "fix_issue", delivery: str = "d-1", notes: str = ""
) -> Command:
    return Command(
        kind=kind,
        repo=REPO,
        number=number,
        installation_id=2**40,  # bigger than 32 bits on purpose
        sender="octocat",
        delivery_id=delivery,
        notes=notes,
    )


async def claimed(queue: Queue, worker: str = "w1") -> Job:
    job = await queue.claim(worker)
    assert job is not None
    return job


async def count_rows(store: Store, table: Any) -> int:
    async with store.transaction() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def claim_queues(
    database: Database, store: Store, open_store: StoreOpener, clock: ManualClock, count: int
) -> list[Queue]:
    """`count` queues: over one store on SQLite, over a store (engine) each on PostgreSQL."""
    if database.name == "sqlite":
        return [Queue(store, clock=clock) for _ in range(count)]
    return [Queue(await open_store(), clock=clock) for _ in range(count)]


# -- deliveries and enqueueing ----------------------------------------------------------------


async def test_a_redelivered_delivery_id_never_makes_a_second_job(
    queue: Queue, store: Store
) -> None:
    answers = [await queue.accept_delivery("d-1", "issues", "labeled", command()) for _ in range(3)]
    job_id = answers[0][1]
    assert answers == [("queued", job_id), ("duplicate", job_id), ("duplicate", job_id)]
    assert await count_rows(store, jobs) == 1
    assert await count_rows(store, deliveries) == 1
    job = await queue.get(job_id or 0)
    assert job is not None and job.commands == (command(),)


async def test_concurrent_redeliveries_make_one_job(
    database: Database, store: Store, open_store: StoreOpener, clock: ManualClock
) -> None:
    queues = await claim_queues(database, store, open_store, clock, 4)
    answers = await asyncio.gather(
        *(q.accept_delivery("d-1", "issues", "labeled", command()) for q in queues)
    )
    assert sorted(outcome for outcome, _ in answers) == ["duplicate"] * 3 + ["queued"]
    assert len({job_id for _, job_id in answers}) == 1
    assert await count_rows(store, jobs) == 1


async def test_a_delivery_without_a_command_is_recorded_and_ignored(
    queue: Queue, store: Store
) -> None:
    assert await queue.accept_delivery("d-1", "ping", None, None) == ("ignored", None)
    assert await queue.accept_delivery("d-1", "ping", None, None) == ("duplicate", None)
    assert await count_rows(store, jobs) == 0
    async with store.transaction() as conn:
        row = (await conn.execute(select(deliveries))).one()
    assert (row.event, row.action, row.outcome, row.job_id) == ("ping", None, "ignored", None)


async def test_two_deliveries_for_one_queued_job_coalesce_with_both_commands(
    queue: Queue, store: Store
) -> None:
    first, second = command(delivery="d-1", notes="a"), command(delivery="d-2", notes="b")
    outcome1, job_id = await queue.accept_delivery("d-1", "issue_comment", "created", first)
    outcome2, same_id = await queue.accept_delivery("d-2", "issue_comment", "created", second)
    assert (outcome1, outcome2, same_id) == ("queued", "coalesced", job_id)
    job = await queue.get(job_id or 0)
    assert job is not None
    assert job.commands == (first, second)
    assert job.command == second
    async with store.transaction() as conn:
        rows = (await conn.execute(select(deliveries.c.outcome, deliveries.c.job_id))).all()
    assert sorted(rows) == [("coalesced", job_id), ("queued", job_id)]


async def test_coalescing_stops_at_the_cap_and_says_so(queue: Queue, store: Store) -> None:
    answers = [
        await queue.accept_delivery(
            f"d-{i}", "issue_comment", "created", command(delivery=f"d-{i}")
        )
        for i in range(MAX_COALESCED + 2)
    ]
    job_id = answers[0][1]
    assert [outcome for outcome, _ in answers] == (
        ["queued"] + ["coalesced"] * (MAX_COALESCED - 1) + ["ignored"] * 2
    )
    assert {found for _, found in answers} == {job_id}
    job = await queue.get(job_id or 0)
    assert job is not None and len(job.commands) == MAX_COALESCED
    assert job.commands[-1].delivery_id == f"d-{MAX_COALESCED - 1}"


@pytest.mark.parametrize(
    ("other", "same_job"),
    [
        (command(number=1, kind="fix_issue", delivery="d-2"), True),
        (command(number=2, kind="fix_issue", delivery="d-2"), False),
        (command(number=1, kind="ci_fix", delivery="d-2"), False),
    ],
)
async def test_only_the_same_kind_on_the_same_target_coalesces(
    queue: Queue, other: Command, same_job: bool
) -> None:
    _, first_id = await queue.enqueue(command())
    outcome, other_id = await queue.enqueue(other)
    assert (outcome == "coalesced") is same_job
    assert (other_id == first_id) is same_job


async def test_a_request_after_the_job_started_makes_a_new_job(queue: Queue) -> None:
    _, first_id = await queue.enqueue(command(delivery="d-1"))
    await claimed(queue)
    outcome, second_id = await queue.enqueue(command(delivery="d-2"))
    assert outcome == "queued" and second_id != first_id


async def test_concurrent_enqueues_of_one_target_make_one_job_with_every_command(
    database: Database, store: Store, open_store: StoreOpener, clock: ManualClock
) -> None:
    queues = await claim_queues(database, store, open_store, clock, 8)
    sent = [command(delivery=f"d-{i}") for i in range(8)]
    answers = await asyncio.gather(*(q.enqueue(c) for q, c in zip(queues, sent, strict=True)))
    assert Counter(outcome for outcome, _ in answers) == {"queued": 1, "coalesced": 7}
    job = await queues[0].get(answers[0][1])
    assert job is not None and sorted(job.commands, key=lambda c: c.delivery_id) == sent


async def test_a_new_job_carries_its_command_and_the_queue_settings(store: Store) -> None:
    queue = Queue(store, max_attempts=7, clock=ManualClock(now=500.0))
    _, job_id = await queue.enqueue(command(number=9))
    job = await queue.get(job_id)
    assert job is not None
    assert (job.kind, job.repo, job.number, job.installation_id) == ("fix_issue", REPO, 9, 2**40)
    assert (job.dedupe_key, job.lock_key) == (f"fix_issue:{REPO}#9", f"{REPO}#9")
    assert (job.state, job.attempts, job.max_attempts, job.run_after) == ("queued", 0, 7, 500.0)
    assert (job.cancel_requested, job.cost_usd, job.result, job.error) == (False, 0.0, None, None)


# -- claiming ---------------------------------------------------------------------------------


async def test_eight_concurrent_claimers_take_each_of_500_jobs_exactly_once(
    database: Database, store: Store, open_store: StoreOpener, clock: ManualClock, queue: Queue
) -> None:
    job_ids = [(await queue.enqueue(command(number=n)))[1] for n in range(1, 501)]
    queues = await claim_queues(database, store, open_store, clock, 8)

    async def drain(worker_queue: Queue, worker: str) -> list[int]:
        taken: list[int] = []
        while (job := await worker_queue.claim(worker)) is not None:
            taken.append(job.id)
        return taken

    results = await asyncio.gather(*(drain(q, f"w{i}") for i, q in enumerate(queues)))
    taken = [job_id for result in results for job_id in result]
    assert sorted(taken) == sorted(job_ids)
    assert await queue.counts() == {
        "queued": 0,
        "running": 500,
        "succeeded": 0,
        "failed": 0,
        "cancelled": 0,
    }


async def test_claim_takes_the_oldest_due_job_and_leases_it(
    queue: Queue, clock: ManualClock
) -> None:
    _, first_id = await queue.enqueue(command(number=1))
    await queue.enqueue(command(number=2))
    job = await claimed(queue, "w1")
    assert job.id == first_id
    assert (job.state, job.lease_owner, job.attempts) == ("running", "w1", 1)
    assert (job.lease_expires_at, job.started_at) == (clock.now + 60, clock.now)


async def test_an_empty_queue_has_nothing_to_claim(queue: Queue) -> None:
    assert await queue.claim("w1") is None


async def test_an_expired_lease_is_reclaimed_and_the_old_owner_loses_it(
    queue: Queue, clock: ManualClock
) -> None:
    await queue.enqueue(command())
    first = await claimed(queue, "w1")
    clock.advance(61)
    second = await claimed(queue, "w2")
    assert (second.id, second.attempts, second.lease_owner) == (first.id, 2, "w2")
    with pytest.raises(LeaseLost):
        await queue.heartbeat(first.id, "w1")
    with pytest.raises(LeaseLost):
        await queue.complete(first.id, "w1", {"pr": 1})
    with pytest.raises(LeaseLost):
        await queue.fail(first.id, "w1", "boom")
    with pytest.raises(LeaseLost):
        await queue.finish_cancelled(first.id, "w1", "stop")
    await queue.complete(second.id, "w2", {"pr": 1})
    done = await queue.get(first.id)
    assert done is not None and (done.state, done.result) == ("succeeded", {"pr": 1})


async def test_a_heartbeat_keeps_the_lease_alive(queue: Queue, clock: ManualClock) -> None:
    await queue.enqueue(command())
    job = await claimed(queue, "w1")
    clock.advance(40)
    assert await queue.heartbeat(job.id, "w1") is False
    clock.advance(40)  # 80 s after the claim, 40 s after the heartbeat
    assert await queue.claim("w2") is None
    clock.advance(21)
    assert (await claimed(queue, "w2")).id == job.id


async def test_a_job_whose_lease_expired_max_attempts_times_fails_and_frees_its_target(
    store: Store, clock: ManualClock
) -> None:
    queue = Queue(store, max_attempts=3, clock=clock)
    _, job_id = await queue.enqueue(command(kind="fix_issue"))
    for attempt in (1, 2, 3):
        assert (await claimed(queue, f"w{attempt}")).attempts == attempt
        clock.advance(61)
    _, waiting_id = await queue.enqueue(command(kind="ci_fix"))  # same issue: same lock key
    assert (await claimed(queue, "w4")).id == waiting_id
    job = await queue.get(job_id)
    assert job is not None
    assert (job.state, job.attempts) == ("failed", 3)
    assert job.error == "lease expired 3 times; the worker died or hung"


async def test_jobs_on_one_issue_never_run_at_once_even_with_concurrent_claimers(
    database: Database, store: Store, open_store: StoreOpener, clock: ManualClock, queue: Queue
) -> None:
    _, first_id = await queue.enqueue(command(kind="fix_issue"))
    _, second_id = await queue.enqueue(command(kind="ci_fix"))
    queues = await claim_queues(database, store, open_store, clock, 8)
    results = await asyncio.gather(*(q.claim(f"w{i}") for i, q in enumerate(queues)))
    running = [job for job in results if job is not None]
    # Exactly one runs. Which one is the race's: under SKIP LOCKED a claimer may pass over the
    # first job while another holds its row, and take the second, whose lock is still free.
    assert len(running) == 1 and running[0].id in (first_id, second_id)
    assert await queue.claim("late") is None
    await queue.complete(running[0].id, running[0].lease_owner or "", {})
    other = second_id if running[0].id == first_id else first_id
    assert (await claimed(queue, "w9")).id == other


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgres"], indirect=True)
async def test_a_claim_that_loses_a_lock_key_race_backs_off_instead_of_failing(
    store: Store, open_store: StoreOpener, queue: Queue, clock: ManualClock
) -> None:
    _, first_id = await queue.enqueue(command(kind="fix_issue"))
    await queue.enqueue(command(kind="ci_fix"))  # same issue, same lock key
    rival = await open_store()
    async with rival.engine.connect() as conn:
        transaction = await conn.begin()
        take_first = update(jobs).where(jobs.c.id == first_id)
        await conn.execute(take_first.values(state="running", lease_expires_at=clock.now + 60))
        rival_pid = (await conn.execute(select(func.pg_backend_pid()))).scalar_one()
        claim = asyncio.create_task(queue.claim("w1"))  # takes the second; blocks on the index
        await wait_until_blocked_by(store, rival_pid)
        await transaction.commit()
    assert await claim is None


async def wait_until_blocked_by(store: Store, blocker_pid: int) -> None:
    """Return once a PostgreSQL session waits for `blocker_pid` (fails after about 10 s)."""
    query = text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))")
    for _ in range(200):
        async with store.transaction() as conn:
            if (await conn.execute(query, {"pid": blocker_pid})).scalar_one() > 0:
                return
        await asyncio.sleep(0.05)
    pytest.fail("the claim never waited for the rival's lock key")


async def test_a_job_without_a_lock_key_runs_beside_one_on_the_same_issue(queue: Queue) -> None:
    await queue.enqueue(command(kind="fix_issue"))
    _, help_id = await queue.enqueue(command(kind="help"))
    await claimed(queue, "w1")
    assert (await claimed(queue, "w2")).id == help_id


# -- finishing, retries and backoff -----------------------------------------------------------


async def test_fail_requeues_with_exponential_capped_backoff_then_fails(
    store: Store, clock: ManualClock
) -> None:
    queue = Queue(store, max_attempts=4, backoff_base=10, backoff_max=25, clock=clock)
    _, job_id = await queue.enqueue(command())
    delays = []
    for attempt in (1, 2, 3):
        job = await claimed(queue)
        failed = await queue.fail(job.id, "w1", f"error {attempt}")
        assert (failed.state, failed.error, failed.lease_owner) == (
            "queued",
            f"error {attempt}",
            None,
        )
        delays.append(failed.run_after - clock.now)
        clock.advance(failed.run_after - clock.now - 1)
        assert await queue.claim("w1") is None  # not due yet
        clock.advance(1)
    assert delays == [10, 20, 25]
    job = await claimed(queue)
    final = await queue.fail(job.id, "w1", "error 4")
    assert (final.id, final.state, final.attempts, final.error) == (job_id, "failed", 4, "error 4")
    assert final.finished_at == clock.now
    assert await queue.claim("w1") is None


@pytest.mark.parametrize(
    ("attempts", "delay"), [(1, 10.0), (2, 20.0), (3, 40.0), (6, 320.0), (7, 600.0), (40, 600.0)]
)
def test_backoff_doubles_from_the_base_up_to_the_cap(
    store: Store, attempts: int, delay: float
) -> None:
    queue = Queue(store, backoff_base=10, backoff_max=600)
    assert queue.backoff(attempts) == delay


async def test_fail_without_retry_is_final(queue: Queue) -> None:
    await queue.enqueue(command())
    job = await claimed(queue)
    failed = await queue.fail(job.id, "w1", "refused", retry=False)
    assert (failed.state, failed.attempts, failed.error) == ("failed", 1, "refused")


async def test_a_retry_joins_a_newer_queued_job_for_the_same_target(queue: Queue) -> None:
    first = command(delivery="d-1", notes="first")
    later = command(delivery="d-2", notes="later")
    await queue.enqueue(first)
    job = await claimed(queue)
    _, queued_id = await queue.enqueue(later)
    failed = await queue.fail(job.id, "w1", "boom")
    assert failed.state == "failed"
    assert failed.error == f"boom; the retry joined queued job {queued_id}"
    queued = await queue.get(queued_id)
    assert queued is not None and queued.commands == (first, later)


async def test_the_checkpoint_and_the_spend_outlive_a_failed_attempt(
    queue: Queue, clock: ManualClock
) -> None:
    await queue.enqueue(command())
    first = await claimed(queue)
    await queue.set_cost(first.id, 0.75)
    await queue.set_checkpoint(first.id, {"sha": "abc123", "changed": ["calc.py"]})
    await queue.fail(first.id, "w1", "GitHub POST /pulls failed: 502")
    clock.advance(3600)  # past the backoff

    second = await claimed(queue, "w2")
    await queue.complete(second.id, "w2", {"pr": 7})  # no cost reported: the spend stays

    assert (second.attempts, second.cost_usd) == (2, 0.75)
    assert second.checkpoint == {"sha": "abc123", "changed": ["calc.py"]}
    done = await queue.get(second.id)
    assert done is not None and (done.state, done.cost_usd) == ("succeeded", 0.75)


async def test_complete_records_the_result_and_cost(queue: Queue, clock: ManualClock) -> None:
    await queue.enqueue(command())
    job = await claimed(queue)
    clock.advance(5)
    await queue.complete(job.id, "w1", {"pr": 42, "url": "https://x/pull/42"}, cost_usd=1.25)
    done = await queue.get(job.id)
    assert done is not None
    assert (done.state, done.cost_usd, done.result) == (
        "succeeded",
        1.25,
        {"pr": 42, "url": "https://x/pull/42"},
    )
    assert (done.finished_at, done.lease_expires_at) == (clock.now, None)
    with pytest.raises(LeaseLost):
        await queue.heartbeat(job.id, "w1")


# -- cancellation -----------------------------------------------------------------------------


async def test_cancel_stops_queued_jobs_at_once_and_flags_running_ones(queue: Queue) -> None:
    _, running_id = await queue.enqueue(command(number=1, kind="fix_issue"))
    await claimed(queue, "w1")
    _, queued_id = await queue.enqueue(command(number=1, kind="ci_fix"))
    _, stop_id = await queue.enqueue(command(number=1, kind="stop"))
    _, elsewhere_id = await queue.enqueue(command(number=2, kind="fix_issue"))
    assert await queue.request_cancel(REPO, 1) == sorted([running_id, queued_id])
    queued = await queue.get(queued_id)
    assert queued is not None and queued.state == "cancelled"
    assert await queue.cancel_requested(running_id) is True
    assert await queue.heartbeat(running_id, "w1") is True
    await queue.finish_cancelled(running_id, "w1", "stopped by octocat")
    states = {i: (await queue.get(i)) for i in (running_id, stop_id, elsewhere_id)}
    assert {i: (j.state if j else None) for i, j in states.items()} == {
        running_id: "cancelled",
        stop_id: "queued",
        elsewhere_id: "queued",
    }
    assert await queue.cancel_requested(elsewhere_id) is False


async def test_a_cancelled_queued_job_is_never_claimed(queue: Queue) -> None:
    await queue.enqueue(command())
    await queue.request_cancel(REPO, 1)
    assert await queue.claim("w1") is None


async def test_cancelling_one_job_touches_that_job_only(queue: Queue) -> None:
    _, running_id = await queue.enqueue(command(number=1, kind="fix_issue"))
    await claimed(queue, "w1")
    _, queued_id = await queue.enqueue(command(number=1, kind="ci_fix"))
    _, other_id = await queue.enqueue(command(number=2, kind="fix_issue"))

    assert await queue.request_cancel_job(queued_id) is True
    assert await queue.request_cancel_job(running_id) is True

    queued = await queue.get(queued_id)
    assert queued is not None and queued.state == "cancelled"
    assert await queue.heartbeat(running_id, "w1") is True  # its worker stops it
    running = await queue.get(running_id)
    assert running is not None and running.state == "running"
    other = await queue.get(other_id)
    assert other is not None and (other.state, other.cancel_requested) == ("queued", False)
    await queue.finish_cancelled(running_id, "w1", "stopped")
    assert await queue.request_cancel_job(running_id) is False  # it had ended
    assert await queue.request_cancel_job(999) is False


async def test_unknown_jobs_are_queue_errors(queue: Queue) -> None:
    with pytest.raises(QueueError):
        await queue.cancel_requested(999)
    with pytest.raises(QueueError):
        await queue.set_cost(999, 1.0)
    assert await queue.get(999) is None


async def test_a_claim_can_be_narrowed_to_some_kinds(queue: Queue) -> None:
    """The light lane: quick jobs are claimable while agent jobs wait for their workers."""
    _, fix = await queue.enqueue(command(1, "fix_issue"))
    _, stop = await queue.enqueue(command(1, "stop", "d-2"))

    light = await queue.claim("light", kinds=LIGHT_KINDS)
    assert light is not None and light.id == stop  # the older fix job is not its to take
    assert await queue.claim("light-2", kinds=LIGHT_KINDS) is None
    general = await queue.claim("general")
    assert general is not None and general.id == fix
