"""The idle-worktree pool: clean a finished job's worktree, park it, hand it to the next job.

`git worktree add` still writes every file: on a 20k-file, 2k-commit repository
(tests/bench/bench_workspace.py, 2 cores, a slow disk, two runs) it took 14.3-14.8 s against
9.6-15.5 s for a fresh `git clone` (95-149 %): writing files dominates, so a cache alone cannot
reach 10 %. So a released worktree is cleaned (`checkout -f --detach`, `clean -ffdx`) and up to
`size` of them are parked under the pool directory; the next job moves one in (`git worktree
move`) and switches it with `checkout -f -B <branch> <start>` + `clean -ffdx`, a cost proportional
to the change: 0.08 s with the fetch, 0.5-0.9 % of the clone. One job per worktree at a time;
nothing of the previous job survives; a worktree left mid-merge/rebase, or failing to clean, is
deleted. Callers hold the repository's lock around `park` and `take_over`.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from app.core.errors import WorkspaceError
from app.workspace.git import GitRunner

IN_PROGRESS = ("MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD", "rebase-merge", "rebase-apply")


def force_rmtree(path: Path) -> None:
    """Delete a tree, even one whose directories the agent made read-only."""
    if not path.is_dir() or path.is_symlink():
        path.unlink(missing_ok=True)
        return
    try:
        shutil.rmtree(path)
    except PermissionError:
        path.chmod(0o700)
        for root, dirs, _files in os.walk(path):
            for name in dirs:
                if not os.path.islink(os.path.join(root, name)):
                    os.chmod(os.path.join(root, name), 0o700)
        shutil.rmtree(path)


def remove_linked_worktree(path: Path, admin_dir: Path, common_dir: Path) -> None:
    """What `git worktree remove --force` + prune do for one worktree, and for no other."""
    force_rmtree(path)
    if admin_dir.parent == common_dir / "worktrees":
        force_rmtree(admin_dir)


def replace_dir(source: Path, target: Path) -> None:
    """Put `source` where `target` was (deleting that)."""
    force_rmtree(target)
    source.rename(target)


class WorktreePool:
    """Up to `size` cleaned worktrees per repository cache, parked under `root`."""

    def __init__(self, root: Path, repos_dir: Path, size: int, run_git: GitRunner) -> None:
        self.root = root
        self.repos_dir = repos_dir
        self.size = size
        self._run_git = run_git

    def directory(self, cache: Path) -> Path:
        """The pool directory of one cache (created on first use)."""
        pool = self.root / cache.relative_to(self.repos_dir)
        pool.mkdir(parents=True, exist_ok=True)
        return pool

    async def clean(self, path: Path, admin_dir: Path) -> bool:
        """Wipe the job's traces (changes, untracked and ignored files); False if that fails."""
        dot_git = path / ".git"
        if not dot_git.is_file() or dot_git.is_symlink():
            return False
        if dot_git.read_text().strip() != f"gitdir: {admin_dir}":
            return False  # the agent rewrote it: this worktree is not trusted again
        if any((admin_dir / name).exists() for name in IN_PROGRESS):
            return False
        where = ("--git-dir", str(admin_dir), "--work-tree", str(path))
        try:
            await self._run_git(*where, "checkout", "-q", "-f", "--detach", cwd=path)
            await self._run_git(*where, "clean", "-q", "-ffdx", cwd=path)
        except WorkspaceError:
            return False
        return True

    async def park(self, cache: Path, path: Path) -> bool:
        """Move a cleaned worktree into the pool if there is room (lock held)."""
        pool = self.directory(cache)
        if len(list(pool.iterdir())) >= self.size:
            return False
        parked = str(pool / uuid.uuid4().hex)
        await self._run_git("--git-dir", str(cache), "worktree", "move", str(path), parked)
        return True

    async def take_over(self, cache: Path, path: Path, branch: str, sha: str) -> bool:
        """Move an idle worktree to `path` on `branch` at `sha`; False when none could be."""
        for idle in sorted(self.directory(cache).iterdir()):
            try:
                await self._run_git(
                    "--git-dir", str(cache), "worktree", "move", str(idle), str(path)
                )
                where = ("-C", str(path))
                await self._run_git(*where, "checkout", "-q", "-f", "--no-track", "-B", branch, sha)
                await self._run_git(*where, "clean", "-q", "-ffdx")
                return True
            except WorkspaceError:
                force_rmtree(idle)
                force_rmtree(path)
                await self._run_git("--git-dir", str(cache), "worktree", "prune")
        return False
