"""The disk a command's writable directories use: measured after each command, watched during it.

A size-capped file system per worktree needs privileges Honk does not ask for, so the worktree
(and every other writable bind) is capped by measure: RLIMIT_FSIZE stops any one file at
`file_size_mb`, a watcher stops the command once the total passes `disk_mb`, and every command's
result says so. /tmp (and $HOME inside it) is a tmpfs of `tmp_mb`: there the kernel says ENOSPC.
The measure walks the tree (about 10 ms per thousand files) after every command.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from pathlib import Path

from app.sandbox.args import Bind

WATCH_SECONDS = 1.0
WATCH_CPU_SHARE = 10  # pause at least ten times as long as the last walk took


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
