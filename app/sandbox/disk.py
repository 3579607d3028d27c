"""The disk a command's writable directories use: measured after each command, watched during it.

A size-capped file system per worktree needs privileges Honk does not ask for, so the worktree
(and every other writable bind) is capped by measure: RLIMIT_FSIZE stops any one file at
`file_size_mb`, a watcher stops the command once the total passes `disk_mb`, and every command's
result says so. /tmp (and $HOME inside it) is a tmpfs of `tmp_mb`: there the kernel says ENOSPC.
A walk costs about 10 ms per thousand files: one-shot commands are walked after each; a shell
session's commands are measured by `DiskGauge`, which walks only when the free space lost since
its last walk could have crossed the limit, or every FULL_WALK_SECONDS.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from app.sandbox.args import Bind

WATCH_SECONDS = 1.0
WATCH_CPU_SHARE = 10  # pause at least ten times as long as the last walk took
FULL_WALK_SECONDS = 30.0  # a session's gauge walks at least this often (DiskGauge)


def writable_paths(root: Path, binds: Sequence[Bind]) -> list[Path]:
    """The host directories a command may write: the worktree and every writable bind."""
    return [root, *(bind.source for bind in binds if bind.writable)]


def disk_usage(paths: Sequence[Path]) -> int:
    """Bytes allocated under `paths` (symlinks not followed, hard links counted once)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    stack = [str(path) for path in paths]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if (info.st_dev, info.st_ino) not in seen:
                seen.add((info.st_dev, info.st_ino))
                total += info.st_blocks * 512
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
    return total


async def disk_exceeded(paths: Sequence[Path], limit: int) -> int:
    """Return (the usage) once `paths` use more than `limit` bytes.

    Checked every second, or less often on a large tree: a walk gets at most a tenth of a core."""
    pause = WATCH_SECONDS
    while True:
        await asyncio.sleep(pause)
        started = time.monotonic()
        used = await asyncio.to_thread(disk_usage, paths)
        if used > limit:
            return used
        pause = max(WATCH_SECONDS, WATCH_CPU_SHARE * (time.monotonic() - started))


class DiskGauge:
    """A session's disk use after each command, walking the tree only when it may matter.

    Between walks the file systems' own free space bounds what the session wrote: while the
    usage of the last walk plus the free space lost since stays within the limit, that sum is
    the answer, and a command on a large worktree costs a `statvfs` instead of a walk. A walk
    happens anyway every FULL_WALK_SECONDS, since space that others freed meanwhile could hide
    a write.
    """

    def __init__(
        self, paths: Sequence[Path], limit: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.paths, self.limit, self.clock = list(paths), limit, clock
        self._used: int | None = None
        self._free: dict[int, int] = {}
        self._walked_at = 0.0

    async def measure(self) -> int:
        """Bytes used under the paths: exact after a walk, an upper bound otherwise."""
        free = free_space(self.paths)
        fresh = self.clock() - self._walked_at < FULL_WALK_SECONDS
        if self._used is not None and fresh and free.keys() == self._free.keys():
            lost = sum(max(0, self._free[device] - now) for device, now in free.items())
            if self._used + lost <= self.limit:
                return self._used + lost
        self._used = await asyncio.to_thread(disk_usage, self.paths)
        self._free, self._walked_at = free, self.clock()
        return self._used


def free_space(paths: Sequence[Path]) -> dict[int, int]:
    """Bytes free on each file system (by device) holding one of `paths`."""
    found: dict[int, int] = {}
    for path in paths:
        with contextlib.suppress(OSError):
            stats = os.statvfs(path)
            found[os.stat(path).st_dev] = stats.f_bavail * stats.f_frsize
    return found
