"""Workers: claim jobs from the queue, run their flow under a heartbeat, record the outcome."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any

from app.core import messages
from app.core.commands import JobKind
from app.core.config import Settings
from app.core.errors import (
    Cancelled,
    FlowError,
    HonkError,
    LeaseLost,
    QueueError,
    StoreError,
    Unfinished,
)
from app.flows.context import Flow, JobContext
from app.flows.services import Services
from app.metrics import instruments as metrics
from app.store.queue import Job, Queue

log = logging.getLogger("honk.worker")
CANCEL_POLL_SECONDS = 1.0  # how often a running job asks whether someone asked it to stop


def worker_id() -> str:
    """A name unique to this worker: host, process and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
    """One worker: a loop that claims a job, runs it, and claims the next."""

    def __init__(
        self,
        queue: Queue,
        settings: Settings,
        *,
        flows: Mapping[JobKind, Flow] | None = None,
        services: Services | None = None,
        wake: asyncio.Event | None = None,
        poll_seconds: float = 1.0,
        name: str | None = None,
        kinds: Collection[JobKind] | None = None,
        chores: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.queue = queue
        self.settings = settings
        if flows is None:
            from app.flows.registry import FLOWS  # the flows import every adapter

            flows = FLOWS
        self.flows = flows
        self.services = services or Services(settings, queue)
        self.wake = wake or asyncio.Event()
        self.poll_seconds = poll_seconds
        self.id = name or worker_id()
        self.kinds = kinds  # None: any kind; else only these (the light lane)
        self.chores = chores  # what this worker does each time it finds nothing to claim
        self._lease_lost: set[int] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and run jobs until `stop` is set; no job's failure ends the loop."""
        while not stop.is_set():
            try:
                job = await self._claim()
                if job is not None:
                    await self.run_job(job)
                else:
                    await self._idle(stop)
            except Exception:
                # The job's lease expires and another worker (or this one) takes it over.
                log.exception("worker loop error; going on", extra={"worker": self.id})
                await self._idle(stop)

    async def run_once(self) -> Job | None:
        """Claim one job if there is one, run it, and return it (as claimed)."""
        job = await self._claim()
        if job is not None:
            await self.run_job(job)
        return job

    async def run_job(self, job: Job) -> None:
        """Run the job's flow with a heartbeat; record success, failure or cancellation."""
        started = time.monotonic()
        await self._run_job(job)
        await self._count(job, time.monotonic() - started)

    async def _run_job(self, job: Job) -> None:
        flow = self.flows.get(job.kind)
        if flow is None:
            reason = messages.flow_not_built(job.kind)
            await self._record(self.queue.fail(job.id, self.id, reason, retry=False))
            log.warning("job failed", extra={"job": job.id, "kind": job.kind, "reason": reason})
            return
        cancel = asyncio.Event()
        settings = self.services.live.overlaid(self.settings)  # with the App `/setup` saved
        task = asyncio.create_task(flow(JobContext(job, settings, cancel, self.services)))
        beat = asyncio.create_task(self._heartbeat(job, cancel, task))
        try:
            await self._settle(job, task)
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat

    async def _settle(self, job: Job, task: asyncio.Task[dict[str, Any]]) -> None:
        try:
            result = await task
        except Unfinished as exc:  # its work is out as WIP: a stop cancels, the rest fails
            if exc.stopped:
                await self._record(self.queue.finish_cancelled(job.id, self.id, str(exc)))
            else:
                await self._record(self.queue.fail(job.id, self.id, str(exc), retry=False))
        except Cancelled as exc:
            await self._record(self.queue.finish_cancelled(job.id, self.id, str(exc)))
        except FlowError as exc:
            await self._record(self.queue.fail(job.id, self.id, str(exc), retry=False))
        except HonkError as exc:
            await self._record(self.queue.fail(job.id, self.id, str(exc), retry=True))
        except asyncio.CancelledError:
            if job.id not in self._lease_lost:
                raise
            self._lease_lost.discard(job.id)
            log.warning("job abandoned: its lease passed to another worker", extra={"job": job.id})
        except Exception as exc:
            log.exception("job crashed", extra={"job": job.id, "kind": job.kind})
            error = f"internal error: {type(exc).__name__}: {exc}"
            await self._record(self.queue.fail(job.id, self.id, error, retry=True))
        else:
            cost = result.get("cost_usd")  # the job's spend over all attempts, when it ran
            cost_usd = None if cost is None else float(cost)
            await self._record(self.queue.complete(job.id, self.id, result, cost_usd=cost_usd))

    async def _count(self, job: Job, seconds: float) -> None:
        """The attempt's metrics, with the state the database now holds (a retry is queued)."""
        try:
            ended = await self.queue.get(job.id)
        except StoreError:
            return
        if ended is not None:
            metrics.job_attempt_ended(job.kind, ended.state, seconds)

    async def _heartbeat(
        self, job: Job, cancel: asyncio.Event, task: asyncio.Task[dict[str, Any]]
    ) -> None:
        """Extend the lease every third of it; between beats, ask every CANCEL_POLL_SECONDS
        whether the job was asked to stop (a stop ends the running command within seconds)."""
        loop = asyncio.get_running_loop()
        interval = max(self.settings.lease_seconds / 3, 0.05)
        beat_at = loop.time() + interval
        while not task.done():
            await asyncio.sleep(min(interval, CANCEL_POLL_SECONDS))
            try:
                if loop.time() >= beat_at:
                    beat_at = loop.time() + interval
                    stop = await self.queue.heartbeat(job.id, self.id)
                else:
                    stop = not cancel.is_set() and await self.queue.cancel_requested(job.id)
                if stop:
                    cancel.set()
            except LeaseLost:
                self._lease_lost.add(job.id)
                task.cancel()
                return
            except (StoreError, QueueError):
                log.warning("heartbeat failed; will retry", extra={"job": job.id})

    async def _claim(self) -> Job | None:
        try:
            return await self.queue.claim(self.id, self.kinds)
        except StoreError as exc:
            log.warning("claim failed", extra={"error": str(exc)})
            return None

    async def _idle(self, stop: asyncio.Event) -> None:
        if self.chores is not None:
            await self.chores()
        waiters = {asyncio.ensure_future(self.wake.wait()), asyncio.ensure_future(stop.wait())}
        await asyncio.wait(waiters, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
        self.wake.clear()

    @staticmethod
    async def _record(outcome: Awaitable[object]) -> None:
        """Record a job's outcome; if the database refuses, the lease expires and the job is
        taken over (publishing is idempotent), so the worker only logs and goes on."""
        try:
            await outcome
        except LeaseLost:
            log.warning("lease lost before the outcome was recorded")
        except StoreError as exc:
            log.error("could not record a job's outcome", extra={"error": str(exc)})


async def run_workers(workers: list[Worker], stop: asyncio.Event, grace: float = 30.0) -> None:
    """Run workers until `stop` is set; jobs in hand get `grace` seconds to finish.

    A job still running after that is cancelled where it stands: its lease expires and
    another worker takes it over (publishing is idempotent), so nothing is lost.
    """
    tasks = [asyncio.create_task(worker.run(stop)) for worker in workers]
    await stop.wait()
    _, pending = await asyncio.wait(tasks, timeout=grace)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
