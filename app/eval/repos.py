"""A task's repository and the worktree the agent works in; removed when the run ends.

Built-in: a fresh repository with the task's files in one commit. SWE-bench: a `--shared`
clone of the user's `--repos DIR/OWNER/NAME` with HEAD at `base_commit` (it reads the
user's objects and writes nothing there: no branch, ref or worktree of theirs changes).
Either way the agent gets a linked worktree of that private repository, as `honk run` does
(`Workspace.prepare_local`), whose git data the sandbox shows read-only.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import ConfigError, WorkspaceError
from app.eval.task import BuiltinRepo, EvalTask, LocalRepo
from app.sandbox.sandbox import Bind
from app.workspace.pool import force_rmtree
from app.workspace.workspace import Workspace, Worktree

CHECKOUTS = "eval-checkouts"  # under HONK_DATA_DIR: each run's private repository


@dataclass(frozen=True)
class TaskTree:
    """The agent's worktree, and what else of the host its sandbox must read."""

    tree: Worktree
    binds: tuple[Bind, ...] = ()


@asynccontextmanager
async def task_tree(
    workspace: Workspace, task: EvalTask, repos_dir: Path | None, key: str
) -> AsyncIterator[TaskTree]:
    """The task's worktree at its base commit, under the job id `key`; gone on leaving."""
    scratch = workspace.data_dir / CHECKOUTS / key
    await asyncio.to_thread(_fresh_dir, scratch)
    try:
        source, binds = await _source(workspace, task, repos_dir, scratch / "repo")
        tree = await workspace.prepare_local(source, branch=f"honk/{key}", job_id=key)
        try:
            yield TaskTree(tree, binds)
        finally:
            await tree.remove()
    finally:
        await asyncio.to_thread(force_rmtree, scratch)


def clone_path(repos_dir: Path, name: str) -> Path:
    """Where the user keeps the clone of `owner/name`."""
    owner, repo = name.split("/", 1)
    return repos_dir / owner / repo


async def check_local_repos(
    workspace: Workspace, tasks: Iterable[EvalTask], repos_dir: Path
) -> None:
    """ConfigError unless every SWE-bench task's clone exists and holds its base commit."""
    for task in tasks:
        if not isinstance(task.repo, LocalRepo):
            continue
        path = clone_path(repos_dir, task.repo.name)
        if not path.is_dir():
            raise ConfigError(
                f"{task.instance_id}: no clone of {task.repo.name} at {path} "
                "(--repos DIR must hold a git clone of each repository at DIR/OWNER/NAME)"
            )
        await _base_commit(workspace, path, task)


async def _base_commit(workspace: Workspace, path: Path, task: EvalTask) -> str:
    base = task.repo.base_commit if isinstance(task.repo, LocalRepo) else "HEAD"
    wanted = f"{base}^{{commit}}"
    try:
        return (await workspace.run_git("rev-parse", "--verify", "-q", wanted, cwd=path)).strip()
    except WorkspaceError:
        raise ConfigError(
            f"{task.instance_id}: base_commit {base} is not in the git repository {path}"
        ) from None


async def _source(
    workspace: Workspace, task: EvalTask, repos_dir: Path | None, path: Path
) -> tuple[Path, tuple[Bind, ...]]:
    if isinstance(task.repo, BuiltinRepo):
        await _made_repo(workspace, task.repo, path)
        return path, ()
    if repos_dir is None:
        raise ConfigError(f"{task.instance_id}: a SWE-bench task needs --repos DIR")
    return path, await _shared_clone(workspace, task, clone_path(repos_dir, task.repo.name), path)


async def _made_repo(workspace: Workspace, repo: BuiltinRepo, path: Path) -> None:
    await asyncio.to_thread(_write_files, path, repo.files)
    await workspace.run_git("init", "-q", "-b", "main", str(path))
    await workspace.run_git("add", "-A", cwd=path)
    await workspace.run_git("commit", "-q", "--no-verify", "-m", "Initial commit", cwd=path)


async def _shared_clone(
    workspace: Workspace, task: EvalTask, origin: Path, path: Path
) -> tuple[Bind, ...]:
    """A clone borrowing `origin`'s objects, HEAD detached at the base commit; the sandbox
    gets `origin`'s object store read-only (git inside it reads through the alternates)."""
    sha = await _base_commit(workspace, origin, task)
    await workspace.run_git("clone", "-q", "--shared", "--no-checkout", str(origin), str(path))
    await workspace.run_git("update-ref", "--no-deref", "HEAD", sha, cwd=path)
    common = await workspace.run_git(
        "rev-parse", "--path-format=absolute", "--git-common-dir", cwd=origin
    )
    return (Bind(Path(common.strip()) / "objects"),)


def _fresh_dir(path: Path) -> None:
    force_rmtree(path)
    path.mkdir(parents=True)


def _write_files(root: Path, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))
