"""The guards on a worktree's change: counted before it is read, read within bounds, scanned
off the event loop.

git counts first (`--numstat`, blob sizes), so a binary file weighs its bytes and one over the
cap is never read. The text diff goes to a temporary file, and only its head (up to the size
limit) is read back: a huge diff is refused by its size without being held in memory. The scan
runs in a thread, so the server keeps answering while a large change is checked.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Sequence
from pathlib import Path

from app.core.guards import MAX_BINARY_BYTES, FileChange, Violation, check_change
from app.core.repo_config import RepoConfig
from app.workspace.worktree import Worktree


async def guard_change(
    tree: Worktree, changed: Sequence[str], config: RepoConfig
) -> list[Violation]:
    """Every reason not to push the worktree's change; [] when it may be pushed."""
    files = await tree.file_changes()
    binary_bytes = sum(f.new_bytes for f in files if f.binary)
    with tempfile.TemporaryDirectory(prefix="honk-diff-") as tmp:
        path = Path(tmp) / "change.diff"
        diff_bytes = await tree.diff_to_file(path)
        diff = await asyncio.to_thread(read_head, path, config.max_diff_bytes + 1)
    within = diff_bytes + binary_bytes <= config.max_diff_bytes
    binaries = {
        f.path: await tree.blob_text(f.sha) for f in files if within and _readable_binary(f)
    }
    return await asyncio.to_thread(
        check_change,
        changed,
        diff,
        allow_workflow_changes=config.allow_workflow_changes,
        max_changed_files=config.max_changed_files,
        max_diff_bytes=config.max_diff_bytes,
        files=files,
        binaries=binaries,
        diff_bytes=diff_bytes,
    )


def read_head(path: Path, limit: int) -> str:
    """At most `limit` bytes from the start of `path`, decoded leniently."""
    with path.open("rb") as file:
        return file.read(limit).decode("utf-8", "replace")


def _readable_binary(change: FileChange) -> bool:
    return change.binary and bool(change.sha) and 0 < change.new_bytes <= MAX_BINARY_BYTES
