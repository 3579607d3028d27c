"""The durable job queue: deliveries in, jobs claimed under leases, retried with backoff."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.commands import JobKind
from app.core.config import Settings
from app.core.errors import LeaseLost, QueueError
from app.store.deliveries import DeliveryQueue, Outcome
from app.store.engine import Store
from app.store.jobs import Job, runnable_jobs, update_jobs
from app.store.tables import JobState, jobs

__all__ = ["CLAIM_BATCH", "CLAIM_ROUNDS", "Job", "Outcome", "Queue"]

ABANDONED = "lease expired"  # the error of a job failed because no worker kept it alive
# Candidates looked at per claim transaction, and transactions per claim() call.
CLAIM_BATCH = 5
CLAIM_ROUNDS = 5


class Queue(DeliveryQueue):
    """Jobs in the database: enqueue (DeliveryQueue), claim under a lease, heartbeat, finish,
    retry, cancel."""

    def __init__(
        self,
        store: Store,
        *,
        lease_seconds: float = 60,
        max_attempts: int = 3,
        backoff_base: float = 10,
        backoff_max: float = 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(store, max_attempts=max_attempts, clock=clock)
        self.lease_seconds = lease_seconds
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max

    @classmethod
    def from_settings(cls, store: Store, settings: Settings) -> Queue:
        """The queue with the lease and attempts the operator configured."""
        return cls(store, lease_seconds=settings.lease_seconds, max_attempts=settings.max_attempts)

    # -- workers ------------------------------------------------------------------------

    async def claim(self, worker_id: str, kinds: Collection[JobKind] | None = None) -> Job | None:
        """Lease the oldest runnable job (of `kinds`, if given), or None when none can run now.

        Runnable: queued and due, or running with an expired lease (its worker died). A
        queued job waits while another job holding its lock key is running (even one whose
        lease expired: that one is reclaimed or failed first).
        """
        for _ in range(CLAIM_ROUNDS):
            async with self.store.transaction(write=True) as conn:
                now = self.clock()
                query = runnable_jobs(conn, now, CLAIM_BATCH, kinds)
                candidates = (await conn.execute(query)).all()
                if not candidates:
                    return None
                job = await self._claim_first(conn, candidates, worker_id, now)
            if job is not None:
                return job
        return None

    async def _claim_first(
        self, conn: AsyncConnection, candidates: Collection[Row[Any]], worker_id: str, now: float
    ) -> Job | None:
        """Claim the first candidate that can be taken, failing worn-out ones on the way."""
        for candidate in candidates:
            if candidate.state == "running" and candidate.attempts >= candidate.max_attempts:
                error = f"{ABANDONED} {candidate.attempts} times; the worker died or hung"
                await update_jobs(
                    conn, jobs.c.id == candidate.id, **_finished("failed", now), error=error
                )
                continue
            taken = await self._take(conn, candidate.id, worker_id, now)
            if taken is not None:
                return taken
        return None

    async def _take(
        self, conn: AsyncConnection, job_id: int, worker_id: str, now: float
    ) -> Job | None:
        lease = {"lease_owner": worker_id, "lease_expires_at": now + self.lease_seconds}
        try:
            async with conn.begin_nested():
                (job,) = await update_jobs(
                    conn,
                    jobs.c.id == job_id,
                    state="running",
                    attempts=jobs.c.attempts + 1,
                    started_at=now,
                    updated_at=now,
                    **lease,
                )
        except IntegrityError:
            return None  # another worker just took a job with the same lock key
        return job

    async def heartbeat(self, job_id: int, worker_id: str) -> bool:
        """Extend the lease; return whether someone asked the job to stop."""
        now = self.clock()
        extended = await self._write(
            _held_by(job_id, worker_id), lease_expires_at=now + self.lease_seconds, updated_at=now
        )
        if not extended:
            raise _lease_lost(job_id, worker_id)
        return extended[0].cancel_requested

    async def complete(
        self, job_id: int, worker_id: str, result: dict[str, Any], cost_usd: float | None = None
    ) -> None:
        """The job succeeded: record its result, and its cost when given (else the spend
        recorded as it went stays)."""
        values: dict[str, Any] = {"result": json.dumps(result)}
        if cost_usd is not None:
            values["cost_usd"] = cost_usd
        await self._finish(job_id, worker_id, "succeeded", values)

    async def finish_cancelled(self, job_id: int, worker_id: str, reason: str) -> None:
        """The worker stopped the job because it was asked to."""
        await self._finish(job_id, worker_id, "cancelled", {"error": reason})

    async def _finish(
        self, job_id: int, worker_id: str, state: JobState, values: dict[str, Any]
    ) -> None:
        finished = _finished(state, self.clock())
        if not await self._write(_held_by(job_id, worker_id), **finished, **values):
            raise _lease_lost(job_id, worker_id)

    async def fail(self, job_id: int, worker_id: str, error: str, *, retry: bool = True) -> Job:
        """The attempt failed: queue the job again after a backoff, or fail it for good.

        When a newer queued job already has the same dedupe key, this job's commands are
        folded into that one (nothing is lost) and this job is failed.
        """
        now = self.clock()
        held_query = select(jobs).where(_held_by(job_id, worker_id)).with_for_update()
        async with self.store.transaction(write=True) as conn:
            held = (await conn.execute(held_query)).mappings().first()
            if held is None:
                raise _lease_lost(job_id, worker_id)
            if retry and held["attempts"] < held["max_attempts"]:
                return await self._requeue(conn, Job.from_row(held), error, now)
            (job,) = await update_jobs(
                conn, jobs.c.id == job_id, **_finished("failed", now), error=error
            )
            return job

    def backoff(self, attempts: int) -> float:
        """Seconds to wait before attempt `attempts + 1`: doubling from the base, capped."""
        return float(min(self.backoff_max, self.backoff_base * 2 ** max(0, attempts - 1)))

    async def _requeue(self, conn: AsyncConnection, held: Job, error: str, now: float) -> Job:
        run_after = now + self.backoff(held.attempts)
        try:
            async with conn.begin_nested():
                (job,) = await update_jobs(
                    conn,
                    jobs.c.id == held.id,
                    state="queued",
                    run_after=run_after,
                    error=error,
                    lease_owner=None,
                    lease_expires_at=None,
                    updated_at=now,
                )
                return job
        except IntegrityError:
            return await self._fold_into_queued(conn, held, error, now)

    @staticmethod
    async def _fold_into_queued(conn: AsyncConnection, held: Job, error: str, now: float) -> Job:
        newer_query = select(jobs.c.id, jobs.c.commands).where(
            jobs.c.dedupe_key == held.dedupe_key, jobs.c.state == "queued"
        )
        newer = (await conn.execute(newer_query.with_for_update())).one()
        merged = [c.to_dict() for c in held.commands] + json.loads(newer.commands)
        await update_jobs(conn, jobs.c.id == newer.id, commands=json.dumps(merged), updated_at=now)
        folded = f"{error}; the retry joined queued job {newer.id}"
        (job,) = await update_jobs(
            conn, jobs.c.id == held.id, **_finished("failed", now), error=folded
        )
        return job

    # -- cancellation -------------------------------------------------------------------

    async def request_cancel(self, repo: str, number: int) -> list[int]:
        """Cancel queued jobs on the issue/PR now; ask running ones to stop. Returns their ids.

        `stop` jobs are left alone: the one carrying out this request is among them.
        """
        now = self.clock()
        target = and_(jobs.c.repo == repo, jobs.c.number == number, jobs.c.kind != "stop")
        cancelled = {**_finished("cancelled", now), "cancel_requested": True, "error": "cancelled"}
        async with self.store.transaction(write=True) as conn:
            queued = await update_jobs(conn, and_(target, jobs.c.state == "queued"), **cancelled)
            running = await update_jobs(
                conn, and_(target, jobs.c.state == "running"), cancel_requested=True, updated_at=now
            )
        return sorted(job.id for job in queued + running)

    async def request_cancel_job(self, job_id: int) -> bool:
        """Stop one job: cancelled at once while queued, asked to stop while running (its
        worker's heartbeat ends the running command within seconds). False when it had ended."""
        now = self.clock()
        cancelled = {**_finished("cancelled", now), "cancel_requested": True, "error": "cancelled"}
        async with self.store.transaction(write=True) as conn:
            this = jobs.c.id == job_id
            queued = await update_jobs(conn, and_(this, jobs.c.state == "queued"), **cancelled)
            running = await update_jobs(
                conn, and_(this, jobs.c.state == "running"), cancel_requested=True, updated_at=now
            )
        return bool(queued or running)

    async def cancel_requested(self, job_id: int) -> bool:
        """Whether someone asked the job to stop (QueueError for an unknown job)."""
        query = select(jobs.c.cancel_requested).where(jobs.c.id == job_id)
        async with self.store.transaction() as conn:
            flag = (await conn.execute(query)).scalar_one_or_none()
        if flag is None:
            raise QueueError(f"no job {job_id}")
        return bool(flag)

    # -- bookkeeping --------------------------------------------------------------------------

    async def set_cost(self, job_id: int, cost_usd: float) -> None:
        """Record the job's cost so far (QueueError for an unknown job)."""
        if not await self._write(jobs.c.id == job_id, cost_usd=cost_usd, updated_at=self.clock()):
            raise QueueError(f"no job {job_id}")

    async def set_checkpoint(self, job_id: int, checkpoint: dict[str, Any]) -> None:
        """Keep the agent's finished work for the job's later attempts (QueueError if unknown)."""
        saved = json.dumps(checkpoint)
        if not await self._write(jobs.c.id == job_id, checkpoint=saved, updated_at=self.clock()):
            raise QueueError(f"no job {job_id}")

    async def set_progress_comment(self, job_id: int, comment_id: int) -> None:
        """Remember the job's progress comment (QueueError for an unknown job)."""
        if not await self._write(jobs.c.id == job_id, progress_comment_id=comment_id):
            raise QueueError(f"no job {job_id}")

    async def take_unacknowledged(
        self, kinds: Collection[JobKind], waited: float, limit: int = 10
    ) -> list[Job]:
        """Queued jobs of `kinds` that waited over `waited` s without a worker and were never
        acknowledged; each is marked acknowledged in the same transaction, so only one
        acknowledger in any process takes it."""
        now = self.clock()
        waiting = and_(
            jobs.c.state == "queued",
            jobs.c.acknowledged_at.is_(None),
            jobs.c.created_at <= now - waited,
            jobs.c.kind.in_(list(kinds)),
        )
        ids = select(jobs.c.id).where(waiting).order_by(jobs.c.id).limit(limit)
        async with self.store.transaction(write=True) as conn:
            return await update_jobs(conn, and_(waiting, jobs.c.id.in_(ids)), acknowledged_at=now)

    async def abandoned_unreported(self, limit: int = 10) -> list[Job]:
        """Jobs failed because their lease kept expiring, whose comment has no last word yet
        (no flow ran to give it one)."""
        query = (
            select(jobs)
            .where(jobs.c.state == "failed", jobs.c.result.is_(None))
            .where(jobs.c.error.like(f"{ABANDONED}%"))
            .order_by(jobs.c.id)
            .limit(limit)
        )
        return await self.select_jobs(query)

    async def mark_reported(self, job_id: int) -> None:
        """The abandoned job's last word was given (or cannot be): never again."""
        await self._write(jobs.c.id == job_id, result='{"reported": true}')

    async def _write(self, where: ColumnElement[bool], **values: Any) -> list[Job]:
        async with self.store.transaction(write=True) as conn:
            return await update_jobs(conn, where, **values)


def _held_by(job_id: int, worker_id: str) -> ColumnElement[bool]:
    return and_(jobs.c.id == job_id, jobs.c.state == "running", jobs.c.lease_owner == worker_id)


def _finished(state: JobState, now: float) -> dict[str, Any]:
    return {"state": state, "lease_expires_at": None, "finished_at": now, "updated_at": now}


def _lease_lost(job_id: int, worker_id: str) -> LeaseLost:
    return LeaseLost(f"job {job_id}: worker {worker_id} no longer holds its lease")
