"""What every flow receives (`JobContext`) and the shape of a flow (`Flow`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.core.config import Settings

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
