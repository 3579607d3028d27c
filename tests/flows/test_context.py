"""A job's stop signal: work raced against it is cancelled (and cleans up) the moment it is set."""

from __future__ import annotations

import asyncio

import pytest

from app.core.errors import Cancelled
from app.flows.context import unless_stopped


async def test_unless_stopped_cancels_the_work_and_says_so() -> None:
    cancel, started, ended = asyncio.Event(), asyncio.Event(), []

    async def forever() -> str:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            ended.append("cleaned up")  # a sandbox kills its processes here
        return "never"

    async def finished() -> str:
        return "done"

    stopping = asyncio.create_task(unless_stopped(cancel, forever(), "the tests"))
    await started.wait()
    cancel.set()

    with pytest.raises(Cancelled, match="stop requested during the tests"):
        await stopping
    assert ended == ["cleaned up"]
    assert await unless_stopped(asyncio.Event(), finished(), "the setup") == "done"
