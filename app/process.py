"""Process wiring: the web app with embedded workers (`honk serve`), or workers alone."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from starlette.applications import Starlette

from app.core.commands import LIGHT_KINDS
from app.core.config import Settings
from app.core.errors import SandboxUnavailable, StoreError
from app.flows.chores import light_lane_chores
from app.flows.services import Services
from app.sandbox.sandbox import Sandbox
from app.store.engine import Store
from app.store.queue import Queue
from app.web.server import REOPEN_SECONDS, AppState, create_app
from app.worker import Worker, run_workers

log = logging.getLogger("honk.process")


def log_sandbox(settings: Settings) -> None:
    """Probe the sandbox at start-up and say what agent commands will run in (or why not)."""
    try:
        log.info("sandbox ready", extra={"sandbox": Sandbox.probe(settings.sandbox).describe()})
    except SandboxUnavailable as exc:
        log.warning("agent commands will be refused", extra={"reason": str(exc)})


def serving_app(settings: Settings) -> Starlette:
    """`honk serve`: the web app, with HONK_WORKERS workers in the same process."""
    if settings.workers == 0:
        return create_app(settings)
    log_sandbox(settings)
    return create_app(settings, background=embedded_workers)


async def embedded_workers(state: AppState, stop: asyncio.Event) -> None:
    """Run HONK_WORKERS workers in the web process, once the database can be opened."""
    while not stop.is_set():
        try:
            queue = await state.get_queue()
            break
        except StoreError as exc:
            log.warning("workers wait for the database", extra={"error": str(exc)})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=REOPEN_SECONDS)
    else:
        return
    await run_workers(workers_for(queue, state.settings, state.wake), stop)


def workers_for(
    queue: Queue, settings: Settings, wake: asyncio.Event | None = None, count: int | None = None
) -> list[Worker]:
    """The process's workers, sharing one Services (its caches and locks are per process),
    plus one light-lane worker for quick jobs, so that `/honk stop` or help never waits
    behind agent jobs that hold every other worker."""
    services = Services(settings, queue)
    total = settings.workers if count is None else count
    workers = [Worker(queue, settings, services=services, wake=wake) for _ in range(total)]
    light = Worker(
        queue, settings, services=services, wake=wake, kinds=LIGHT_KINDS,
        chores=light_lane_chores(services),
    )  # fmt: skip
    return [*workers, light]


async def workers_only(settings: Settings) -> None:
    """`honk worker`: max(HONK_WORKERS, 1) workers until SIGINT or SIGTERM."""
    log_sandbox(settings)
    store = await Store.open(settings.database_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    queue = Queue.from_settings(store, settings)
    try:
        await run_workers(workers_for(queue, settings, count=max(settings.workers, 1)), stop)
    finally:
        await store.close()
