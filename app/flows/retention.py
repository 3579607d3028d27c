"""Honk's disk stays bounded: a private data directory, swept by age (`HONK_RETENTION_DAYS`).

Swept: transcripts, worktrees and tool directories a killed job left behind, repository
caches no job fetched into for that long (repositories no longer installed, or no longer worked
on: a later job clones again), and the records of old deliveries with the bodies kept for
`honk replay` (one row each: a delivery is replayable exactly as long as it is remembered).
Anything touched within the retention period stays, so a running job (whose transcript and
worktree change as it goes) is never swept.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from app.flows.tool_dir import TOOLS_DIR
from app.store.deliveries import DeliveryQueue
from app.workspace.pool import force_rmtree

log = logging.getLogger("honk.retention")
DAY_SECONDS = 86_400.0
SWEEP_EVERY_SECONDS = 3_600.0


def make_private(data_dir: Path) -> None:
    """Create `data_dir` readable by Honk's user only (0700), or make it so."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        if data_dir.stat().st_mode & 0o077:
            data_dir.chmod(0o700)
    except OSError as exc:  # not Honk's own directory: say so, and go on
        log.warning("HONK_DATA_DIR is readable by others", extra={"error": str(exc)})


@dataclass(frozen=True)
class Swept:
    """What one sweep removed."""

    transcripts: int = 0
    worktrees: int = 0
    tools: int = 0
    caches: int = 0
    deliveries: int = 0


async def sweep(
    data_dir: Path, queue: DeliveryQueue, retention_days: float, now: float | None = None
) -> Swept:
    """Remove what was last touched more than `retention_days` ago."""
    cutoff = (time.time() if now is None else now) - retention_days * DAY_SECONDS
    files = await asyncio.to_thread(_sweep_files, data_dir, cutoff)  # the server keeps answering
    swept = replace(files, deliveries=await queue.forget_deliveries(cutoff))
    if swept != Swept():
        log.info("retention sweep", extra={"swept": swept.__dict__})
    return swept


def periodic_sweep(
    data_dir: Path, queue: DeliveryQueue, retention_days: float
) -> Callable[[], Awaitable[Swept | None]]:
    """A sweep that runs at most every SWEEP_EVERY_SECONDS (for the light lane's idle time)."""
    last = [0.0]

    async def maybe_sweep() -> Swept | None:
        if time.monotonic() - last[0] < SWEEP_EVERY_SECONDS and last[0]:
            return None
        last[0] = time.monotonic()
        return await sweep(data_dir, queue, retention_days)

    return maybe_sweep


def _sweep_files(data_dir: Path, cutoff: float) -> Swept:
    return Swept(
        transcripts=_remove_old(_entries(data_dir / "transcripts"), cutoff, _last_touched),
        worktrees=_remove_old(_entries(data_dir / "worktrees"), cutoff, _newest_inside),
        tools=_remove_old(_entries(data_dir / TOOLS_DIR), cutoff, _newest_inside),
        caches=_remove_old(_caches(data_dir / "repos"), cutoff, _last_fetched),
    )


def _entries(directory: Path) -> Iterator[Path]:
    if directory.is_dir():
        yield from directory.iterdir()


def _caches(repos: Path) -> Iterator[Path]:
    """`repos/<host>/<owner>/<name>.git`."""
    for host in _entries(repos):
        for owner in _entries(host):
            yield from _entries(owner)


def _remove_old(paths: Iterator[Path], cutoff: float, touched: Callable[[Path], float]) -> int:
    removed = 0
    for path in paths:
        try:
            if touched(path) >= cutoff:
                continue
            force_rmtree(path)
            removed += 1
        except OSError as exc:  # best effort: the next sweep tries again
            log.warning("could not sweep", extra={"path": str(path), "error": str(exc)})
    return removed


def _last_touched(path: Path) -> float:
    return path.lstat().st_mtime


def _newest_inside(path: Path) -> float:
    """The newest change in a worktree's top level (a job running in it keeps it fresh)."""
    times = [path.lstat().st_mtime]
    if path.is_dir() and not path.is_symlink():
        with os.scandir(path) as found:
            times += [entry.stat(follow_symlinks=False).st_mtime for entry in found]
    return max(times)


def _last_fetched(cache: Path) -> float:
    """A cache's last fetch (FETCH_HEAD), or its own change when it was never fetched."""
    marks = [cache / "FETCH_HEAD", cache]
    return max(mark.lstat().st_mtime for mark in marks if mark.exists())
