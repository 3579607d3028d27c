"""What a killed job leaves behind, swept so that it never blocks a later job.

- Job locks. A job holds an `fcntl.flock` on `locks/jobs/<job_id>.lock` from `prepare` until its
  worktree is released. The kernel drops it when the process dies, however it dies (SIGKILL,
  OOM, a lost container), so a directory under `worktrees/` whose job lock nobody holds belongs
  to no running job: it is deleted, and `git worktree prune` then frees its branch. Lock files
  are never unlinked (a probe could otherwise lock a deleted file while the job locks a new one).
- Git's lock files. Every git call that writes the cache's config, remote-tracking refs, tags,
  packed refs or shallow file runs under the repository's lock, and Honk's git in a job's
  worktree never runs automatic gc; so, under that lock, such a `*.lock` is left by a git that
  was killed. A `refs/heads/<branch>.lock` is left alone while a live worktree has the branch.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from app.core.errors import WorkspaceError
from app.workspace.cache_config import check_config
from app.workspace.git import GitRunner
from app.workspace.pool import force_rmtree

REPOSITORY_LOCKS = ("*.lock", "refs/**/*.lock", "objects/info/**/*.lock")


class JobLocks:
    """The job locks this process holds, and probes of other processes' ones."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._held: dict[str, int] = {}

    def acquire(self, job_id: str) -> None:
        """Hold `job_id`'s lock (again: a no-op); WorkspaceError if another process holds it."""
        if job_id in self._held:
            return
        fd = self._open(job_id)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise WorkspaceError(f"job {job_id!r} is running in another worker") from None
        self._held[job_id] = fd

    @contextlib.contextmanager
    def claim(self, job_id: str) -> Iterator[None]:
        """Acquire `job_id`'s lock for the block, and keep it unless the block fails."""
        self.acquire(job_id)
        try:
            yield
        except BaseException:
            self.release(job_id)
            raise

    def release(self, job_id: str) -> None:
        fd = self._held.pop(job_id, None)
        if fd is not None:
            os.close(fd)  # closing drops the flock

    def is_running(self, job_id: str) -> bool:
        """Whether some live process (this one included) holds `job_id`'s lock."""
        if job_id in self._held:
            return True
        fd = self._open(job_id)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False

    def _open(self, job_id: str) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        return os.open(self.directory / f"{job_id}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC)


def sweep_worktrees(worktrees_dir: Path, jobs: JobLocks) -> list[str]:
    """Delete the worktree directories of jobs that no live process runs; their job ids."""
    if not worktrees_dir.is_dir():
        return []
    swept = []
    for path in sorted(worktrees_dir.iterdir()):
        if not jobs.is_running(path.name):
            force_rmtree(path)
            swept.append(path.name)
    return swept


def checked_out_branches(listing: str) -> set[str]:
    """The branches of `git worktree list --porcelain` output."""
    prefix = "branch refs/heads/"
    return {line.removeprefix(prefix) for line in listing.splitlines() if line.startswith(prefix)}


def sweep_git_locks(git_dir: Path, live_branches: set[str]) -> list[Path]:
    """Delete the cache's stale `*.lock` files (hold the repository's lock); those deleted."""
    heads = git_dir / "refs" / "heads"
    kept = {heads / f"{branch}.lock" for branch in live_branches}
    stale = {lock for pattern in REPOSITORY_LOCKS for lock in git_dir.glob(pattern)}
    swept = sorted(lock for lock in stale - kept if lock.is_file() and not lock.is_symlink())
    for lock in swept:
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()
    return swept


async def sweep(worktrees_dir: Path, jobs: JobLocks, cache: Path, run_git: GitRunner) -> None:
    """Delete what killed jobs left: worktrees, then the cache's git locks (hold its lock)."""
    sweep_worktrees(worktrees_dir, jobs)
    if not (cache / "HEAD").is_file():
        return
    check_config(cache)  # before git reads it
    await run_git("--git-dir", str(cache), "worktree", "prune")
    listing = await run_git("--git-dir", str(cache), "worktree", "list", "--porcelain")
    sweep_git_locks(cache, checked_out_branches(listing))


async def poll_flock(fd: int) -> None:
    """Take an exclusive flock, polling, so that cancelling the waiting task is safe."""
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            await asyncio.sleep(0.02)
