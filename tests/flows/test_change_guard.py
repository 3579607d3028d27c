"""app/flows/change_guard.py on a real worktree: bounded reads, binaries, a scan off the loop."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pytest

from app.core.guards import MAX_BINARY_BYTES, check_change
from app.core.repo_config import RepoConfig
from app.flows import change_guard
from app.flows.change_guard import guard_change, read_head
from app.workspace.workspace import Workspace
from tests.fakes.workspace_demo import prepare

TOKEN = "gh" + "s_" + "Z" * 40


async def test_the_scan_runs_off_the_event_loop(
    workspace: Workspace, remote: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    worktree = await prepare(workspace, remote, "job-1", "honk/x")
    (worktree.path / "a.txt").write_text(f"key = {TOKEN}\n")
    threads: list[threading.Thread] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread())
        return check_change(*args, **kwargs)

    monkeypatch.setattr(change_guard, "check_change", spy)
    found = await guard_change(worktree, ["a.txt"], RepoConfig())

    assert [v.rule for v in found] == ["github_token"]
    assert threads and threads[0] is not threading.main_thread()


async def test_a_huge_text_diff_is_refused_by_its_size_and_read_only_in_part(
    workspace: Workspace, remote: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    worktree = await prepare(workspace, remote, "job-1", "honk/x")
    (worktree.path / "huge.txt").write_text("y\n" * 50_000)  # "+y\n" in the diff: 150 kB
    reads: list[int] = []

    def head(path: Path, limit: int) -> str:
        reads.append(limit)
        return read_head(path, limit)

    monkeypatch.setattr(change_guard, "read_head", head)
    found = await guard_change(worktree, ["huge.txt"], RepoConfig(max_diff_bytes=10_000))

    assert [v.rule for v in found] == ["diff_too_large"]
    assert re.match(r"the diff is 150,\d{3} bytes", found[0].detail)  # all of it counted
    assert reads == [10_001]  # and no more than the limit read


async def test_binaries_weigh_their_bytes_and_are_scanned_whole(
    workspace: Workspace, remote: Path
) -> None:
    worktree = await prepare(workspace, remote, "job-1", "honk/x")
    (worktree.path / "secret.bin").write_bytes(b"\0\xff" + TOKEN.encode() + b"\0")
    (worktree.path / "huge.bin").write_bytes(b"\0" * (MAX_BINARY_BYTES + 1))
    config = RepoConfig(max_diff_bytes=10_000_000)

    found = await guard_change(worktree, ["huge.bin", "secret.bin"], config)

    assert sorted((v.rule, v.path) for v in found) == [
        ("binary_too_large", "huge.bin"),
        ("github_token", "secret.bin"),
    ]
    assert all(TOKEN not in v.detail for v in found)
