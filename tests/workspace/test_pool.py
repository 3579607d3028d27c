"""The idle-worktree pool, through a real Workspace: what a take-over keeps, what is not parked."""

from __future__ import annotations

from pathlib import Path

from app.workspace.workspace import Workspace
from tests.fakes.git_remote import remote_sha
from tests.fakes.workspace_demo import FILES, prepare, worktree_paths


async def test_pooled_worktree_keeps_nothing_of_the_previous_job(
    workspace: Workspace, remote: Path
) -> None:
    first = await prepare(workspace, remote, "job-1", "honk/issue-1")
    (first.path / "src/app.py").write_text("changed by job 1\n")
    await first.commit_all("Job 1 commit")
    (first.path / "README.md").write_text("uncommitted by job 1\n")
    (first.path / "new.txt").write_text("new\n")
    (first.path / "debug.log").write_text("ignored\n")
    (first.path / "build/out").mkdir(parents=True)
    (first.path / "build/out/x.o").write_text("ignored dir\n")
    (first.path / "scratch/deep").mkdir(parents=True)
    (first.path / "scratch/deep/notes.txt").write_text("untracked dir\n")
    await first.remove()

    second = await prepare(workspace, remote, "job-2", "honk/issue-2")

    assert second.admin_dir == first.admin_dir  # the same worktree, taken over from the pool
    assert second.path == workspace.worktrees_dir / "job-2" and not first.path.exists()
    for leftover in ("new.txt", "debug.log", "build", "scratch"):
        assert not (second.path / leftover).exists(), leftover
    assert (second.path / "README.md").read_text() == FILES["README.md"]
    assert (second.path / "src/app.py").read_text() == FILES["src/app.py"]
    assert await second.head_sha() == second.base_sha and not await second.has_changes()
    assert (await second.git("branch", "--show-current")).strip() == "honk/issue-2"


async def test_worktree_whose_dot_git_was_rewritten_is_not_pooled(
    workspace: Workspace, remote: Path
) -> None:
    worktree = await prepare(workspace, remote, "job-1", "honk/issue-1")
    (worktree.path / ".git").write_text("gitdir: /nonexistent\n")
    (worktree.path / "work.txt").write_text("done\n")
    sha = await worktree.commit_all("Still commits through the real gitdir")
    assert sha == remote_sha(worktree.cache_dir, "refs/heads/honk/issue-1")

    await worktree.remove()

    assert not worktree.path.exists()
    assert worktree_paths(worktree.cache_dir) == [str(worktree.cache_dir)]
