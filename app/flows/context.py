"""What every flow receives (`JobContext`) and the shape of a flow (`Flow`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from app.core.config import Settings
from app.core.errors import Cancelled

T = TypeVar("T")

if TYPE_CHECKING:
    from app.flows.services import Services
    from app.store.queue import Job


@dataclass(frozen=True)
class JobContext:
    """What a flow receives: the claimed job, the settings, the services, the cancel signal."""

    job: Job
    settings: Settings
    cancel: asyncio.Event
    services: Services

    async def cancel_requested(self) -> bool:
        """Set by the heartbeat, or asked of the database (checked between agent turns)."""
        if not self.cancel.is_set() and await self.services.queue.cancel_requested(self.job.id):
            self.cancel.set()
        return self.cancel.is_set()


Flow = Callable[[JobContext], Coroutine[Any, Any, dict[str, Any]]]


async def unless_stopped(cancel: asyncio.Event, work: Coroutine[Any, Any, T], what: str) -> T:
    """`work`, raced against a stop: when `cancel` is set first, `work` is cancelled (the
    sandbox kills the command it runs, and everything that command started) and Cancelled
    is raised."""
    task = asyncio.create_task(work)
    stop = asyncio.create_task(cancel.wait())
    try:
        await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
        if not task.done():
            task.cancel()
            await asyncio.wait({task})  # its processes are killed before this returns
    if task.cancelled():
        raise Cancelled(f"stop requested during {what}")
    return task.result()
