"""Guards benchmark: how long the event loop stalls while a 10 MB change is checked.

The old way read the whole diff into memory and scanned it on the loop; `guard_change` counts
first, reads within the size limit and scans in a thread. A ticker task measures the longest gap
between its 10 ms ticks while each runs on the same worktree.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from app.core.guards import check_change
from app.core.repo_config import RepoConfig
from app.flows.change_guard import guard_change
from app.workspace.workspace import Workspace
from app.workspace.worktree import Worktree
from tests.fakes.git_remote import make_remote
from tests.fakes.workspace_demo import FILES, prepare

MEGABYTES = 10
CONFIG = RepoConfig(max_diff_bytes=50_000_000)


async def longest_stall(work: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    """(seconds the work took, the longest gap between the ticker's 10 ms ticks meanwhile)."""
    gaps: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    task = asyncio.create_task(ticker())
    start = time.perf_counter()
    await work()
    took = time.perf_counter() - start
    done.set()
    await task
    return took, max(gaps, default=0.0)


async def old_way(tree: Worktree) -> None:
    changed = await tree.changed_paths()
    check_change(
        changed, await tree.diff(), allow_workflow_changes=False,
        max_changed_files=100, max_diff_bytes=CONFIG.max_diff_bytes,
    )  # fmt: skip


async def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        remote = make_remote(Path(tmp) / "remotes", FILES)
        workspace = Workspace(Path(tmp) / "data", git_name="Bench", git_email="b@example.com")
        tree = await prepare(workspace, remote, "job-1", "honk/bench")
        line = "value = 'abcdefghijklmnopqrstuvwxyz0123456789' * 2  # filler\n"
        (tree.path / "big.py").write_text(line * (MEGABYTES * 1_000_000 // len(line)))
        for name, work in (
            ("old: read all, scan on the loop", lambda: old_way(tree)),
            ("guard_change: bounded, in a thread", lambda: guard_change(tree, ["big.py"], CONFIG)),
        ):
            took, stall = await longest_stall(work)
            print(f"{name:40} {took:6.2f} s total, loop stalled at most {stall * 1000:7.1f} ms")


def main() -> None:
    asyncio.run(run())
