"""Workers: a claimed job runs its flow under a heartbeat and ends in a clear recorded state."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.core.commands import LIGHT_KINDS, Command, JobKind
from app.core.config import Settings
from app.core.errors import Cancelled, GitHubError, Unfinished
from app.flows.context import Flow, JobContext
from app.store.engine import Store
from app.store.queue import Queue
from app.worker import Worker, run_workers
from app.workspace.git import STOP_GRACE_SECONDS


@pytest.fixture
async def queue(tmp_path: Path) -> AsyncIterator[Queue]:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path}/honk.db")
    yield Queue(store, lease_seconds=0.3, max_attempts=2, backoff_base=0.0)
    await store.close()


def command(kind: JobKind = "fix_issue", number: int = 7) -> Command:
    return Command(
        kind=kind,
        repo="octo/repo",
        number=number,
        installation_id=1,
        sender="mona",
        delivery_id=f"d-{kind}-{number}",
    )


def worker(queue: Queue, flows: dict[JobKind, Flow] | None = None) -> Worker:
    settings = Settings(lease_seconds=0.3)
    return Worker(queue, settings, flows=flows or {}, name="w-test", poll_seconds=0.01)


async def test_kind_without_a_flow_fails_at_once_saying_so(queue: Queue) -> None:
    _, job_id = await queue.enqueue(command())
    await worker(queue).run_once()
    job = await queue.get(job_id)
    assert job is not None
    assert job.state == "failed"
    assert job.attempts == 1  # not retried: retrying cannot help
    assert job.error is not None and "fix_issue" in job.error and "not" in job.error


async def test_flow_result_and_cost_are_recorded(queue: Queue) -> None:
    async def flow(ctx: JobContext) -> dict[str, Any]:
        return {"pr": 12, "cost_usd": 0.25, "seen": ctx.job.command.sender}

    _, job_id = await queue.enqueue(command())
    await worker(queue, {"fix_issue": flow}).run_once()
    job = await queue.get(job_id)
    assert job is not None
    assert (job.state, job.result, job.cost_usd) == (
        "succeeded",
        {"pr": 12, "cost_usd": 0.25, "seen": "mona"},
        0.25,
    )


@pytest.mark.parametrize(
    ("error", "state", "attempts"),
    [
        (GitHubError("secondary rate limit"), "queued", 1),  # retried later with backoff
        (RuntimeError("boom"), "queued", 1),  # a crash is retried too, and recorded
        (Cancelled("stopped by @mona"), "cancelled", 1),
        (Unfinished("unfinished (stopped): WIP on #3", stopped=True), "cancelled", 1),
        (Unfinished("unfinished (model error): WIP on #3", stopped=False), "failed", 1),  # kept
    ],
)
async def test_flow_errors_end_in_a_recorded_state(
    queue: Queue, error: Exception, state: str, attempts: int
) -> None:
    async def flow(ctx: JobContext) -> dict[str, Any]:
        raise error

    _, job_id = await queue.enqueue(command())
    await worker(queue, {"fix_issue": flow}).run_once()
    job = await queue.get(job_id)
    assert job is not None
    assert (job.state, job.attempts) == (state, attempts)
    assert job.error is None or str(error) in job.error


async def test_cancel_request_reaches_the_flow_through_the_heartbeat(queue: Queue) -> None:
    started = asyncio.Event()

    async def flow(ctx: JobContext) -> dict[str, Any]:
        started.set()
        while not await ctx.cancel_requested():
            await asyncio.sleep(0.01)
        raise Cancelled("cancelled between turns")

    _, job_id = await queue.enqueue(command())
    run = asyncio.create_task(worker(queue, {"fix_issue": flow}).run_once())
    await started.wait()
    assert await queue.request_cancel("octo/repo", 7) == [job_id]
    await asyncio.wait_for(run, timeout=10)
    job = await queue.get(job_id)
    assert job is not None and job.state == "cancelled"


async def test_worker_loop_stops_when_asked(queue: Queue) -> None:
    done: list[int] = []

    async def flow(ctx: JobContext) -> dict[str, Any]:
        done.append(ctx.job.id)
        return {}

    for number in (1, 2, 3):
        await queue.enqueue(command(number=number))
    stop = asyncio.Event()
    loop = asyncio.create_task(worker(queue, {"fix_issue": flow}).run(stop))
    while len(done) < 3:
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(loop, timeout=10)
    assert sorted(done) == sorted(job.id for job in await queue.recent())


async def test_a_light_lane_worker_takes_only_quick_jobs(queue: Queue) -> None:
    ran: list[str] = []

    async def flow(ctx: JobContext) -> dict[str, Any]:
        ran.append(ctx.job.kind)
        return {}

    _, fix = await queue.enqueue(command("fix_issue"))
    await queue.enqueue(command("stop"))
    lane = Worker(
        queue, Settings(), flows={"stop": flow, "fix_issue": flow}, kinds=LIGHT_KINDS, name="light"
    )

    assert (await lane.run_once()) is not None and await lane.run_once() is None
    assert ran == ["stop"]
    waiting = await queue.get(fix)
    assert waiting is not None and waiting.state == "queued"


def test_compose_stops_services_only_after_the_workers_drain_and_gits_grace() -> None:
    compose = yaml.safe_load((Path(__file__).parents[1] / "deploy/docker-compose.yml").read_text())
    drain = inspect.signature(run_workers).parameters["grace"].default
    for name in ("web", "worker"):
        period = compose["services"][name]["stop_grace_period"]
        assert int(period.removesuffix("s")) > drain + STOP_GRACE_SECONDS, name


async def test_a_stop_reaches_the_running_flow_between_heartbeats(tmp_path: Path) -> None:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path}/slow.db")
    queue = Queue(store, lease_seconds=3600)  # a heartbeat only every 20 minutes
    seen = asyncio.Event()

    async def flow(ctx: JobContext) -> dict[str, Any]:
        seen.set()
        await ctx.cancel.wait()  # only the worker's cancel poll sets it, never the flow
        raise Cancelled("stopped")

    _, job_id = await queue.enqueue(command())
    lone = Worker(queue, Settings(lease_seconds=3600), flows={"fix_issue": flow}, name="w")
    running = asyncio.create_task(lone.run_once())
    await seen.wait()
    await queue.request_cancel("octo/repo", 7)
    await asyncio.wait_for(running, timeout=60)  # bounded: a heartbeat would take 20 minutes

    job = await queue.get(job_id)
    assert job is not None and job.state == "cancelled"
    await store.close()
