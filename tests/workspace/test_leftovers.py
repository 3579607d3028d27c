"""A killed job never wedges a later one: its worktree and git's lock files are swept (issue 8/12).

The job is killed for real: a child process prepares a worktree and SIGKILLs itself, so nothing
of Honk's cleanup runs, as when a worker is killed mid-job.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.errors import WorkspaceError
from app.workspace.workspace import Workspace, cache_path
from tests.fakes.git_remote import commit_to_remote, remote_sha
from tests.fakes.workspace_demo import prepare, worktree_paths

PROJECT = Path(__file__).resolve().parents[2]
KILLED_JOB = """
import asyncio, os, signal, sys
from pathlib import Path
from app.workspace.workspace import Workspace, cache_path

async def main() -> None:
    ws = Workspace(Path(sys.argv[1]), git_name="H", git_email="h@example.com")
    await ws.prepare(sys.argv[2], token=None, base_branch="main", job_id=sys.argv[3],
                     branch=sys.argv[4])
    os.kill(os.getpid(), signal.SIGKILL)

asyncio.run(main())
"""


def killed_job(workspace: Workspace, remote: Path, job_id: str, branch: str) -> None:
    """Prepare a worktree in another process, which is then killed (SIGKILL)."""
    argv = [sys.executable, "-c", KILLED_JOB, str(workspace.data_dir), remote.as_uri()]
    done = subprocess.run([*argv, job_id, branch], cwd=PROJECT, capture_output=True, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()
    assert (workspace.worktrees_dir / job_id).is_dir()


async def test_a_killed_job_does_not_hold_its_branch(workspace: Workspace, remote: Path) -> None:
    killed_job(workspace, remote, "job-1", "honk/issue-1")

    worktree = await prepare(workspace, remote, "job-2", "honk/issue-1")

    assert (await worktree.git("branch", "--show-current")).strip() == "honk/issue-1"
    assert not (workspace.worktrees_dir / "job-1").exists()
    assert str(workspace.worktrees_dir / "job-1") not in worktree_paths(worktree.cache_dir)


async def test_a_running_job_in_another_workspace_keeps_its_worktree(
    workspace: Workspace, remote: Path
) -> None:
    other = Workspace(workspace.data_dir, git_name="H", git_email="h@example.com")
    running = await prepare(other, remote, "job-1", "honk/issue-1")
    await prepare(workspace, remote, "job-2", "honk/issue-2")
    assert running.path.is_dir()
    with pytest.raises(WorkspaceError, match="already checked out"):
        await prepare(workspace, remote, "job-3", "honk/issue-1")
    with pytest.raises(WorkspaceError, match="running"):
        await prepare(workspace, remote, "job-1", "honk/issue-1")


async def test_git_locks_left_by_a_killed_git_are_swept(workspace: Workspace, remote: Path) -> None:
    first = await prepare(workspace, remote, "job-1", "honk/issue-1")
    live = await prepare(workspace, remote, "job-live", "honk/live")
    await first.remove()
    cache = first.cache_dir
    stale = [
        cache / "config.lock",
        cache / "packed-refs.lock",
        cache / "refs" / "remotes" / "origin" / "main.lock",
        cache / "refs" / "heads" / "honk" / "issue-1.lock",
    ]
    for lock in [*stale, cache / "refs" / "heads" / "honk" / "live.lock"]:
        lock.parent.mkdir(parents=True, exist_ok=True)
        lock.write_text("")
    commit_to_remote(remote, {"new.txt": "new\n"}, "Second commit")

    worktree = await prepare(workspace, remote, "job-2", "honk/issue-1")

    assert worktree.base_sha == remote_sha(remote, "main")
    assert [lock for lock in stale if lock.exists()] == []
    assert (cache / "refs" / "heads" / "honk" / "live.lock").exists()  # its job still runs
    assert live.path.is_dir()


def test_the_job_lock_of_a_killed_process_is_free(workspace: Workspace, remote: Path) -> None:
    killed_job(workspace, remote, "job-1", "honk/issue-1")
    locks = workspace.data_dir / "locks" / "jobs"
    assert [path.name for path in locks.iterdir()] == ["job-1.lock"]
    assert os.path.getsize(locks / "job-1.lock") == 0


async def test_sweep_at_start_clears_what_killed_jobs_left_in_every_cache(
    workspace: Workspace, remote: Path
) -> None:
    killed_job(workspace, remote, "job-1", "honk/issue-1")
    cache = workspace.repos_dir / cache_path(remote.as_uri())
    (cache / "config.lock").write_text("")

    await Workspace(workspace.data_dir, git_name="H", git_email="h@example.com").sweep()

    assert not (workspace.worktrees_dir / "job-1").exists()
    assert str(workspace.worktrees_dir / "job-1") not in worktree_paths(cache)
    assert not (cache / "config.lock").exists()
