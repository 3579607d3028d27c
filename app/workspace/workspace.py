"""Git workspaces: one bare cache per repository, one worktree per job, commit and push.

Design notes
- Bare cache + worktrees. Each repository is fetched once into `repos/<host>/<owner>/<name>.git`
  (`git init --bare`, remote `origin`, refspec `+refs/heads/*:refs/remotes/origin/*`, not a
  mirror, so fetches never touch the jobs' own branches). A job gets `worktrees/<job_id>`, a
  linked worktree sharing the cache's objects: a second job fetches only the delta.
- Idle pool. `remove()` cleans a worktree and parks up to `pool_size` of them under `pool/`; the
  next job takes one over (app/workspace/pool.py says why and how).
- Locks. Everything that writes the cache's refs or worktree list (init, fetch, worktree
  add/move/remove, push) holds the repository's lock: an `asyncio.Lock` in this process and an
  `fcntl.flock` on `locks/<hash>.lock` for other processes (polled, so cancellation is safe).
  Commits inside a worktree touch only its own branch and need no lock.
- Git runs through git.py (minimal environment, the token only there, scrubbed errors);
  a job's Worktree (app/workspace/worktree.py) commits, diffs and pushes.
- Leftovers. Each prepare (and `sweep` at start) first deletes what killed jobs left: their
  worktrees, which would hold their branches, and git's lock files (app/workspace/leftovers.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import AsyncIterator, Mapping
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from app.core.config import Secret
from app.core.errors import WorkspaceError
from app.workspace.cache_config import check_config, config_digest, write_config
from app.workspace.git import auth_env, identity_env, run_git
from app.workspace.leftovers import JobLocks, poll_flock, sweep
from app.workspace.pool import WorktreePool, force_rmtree, remove_linked_worktree, replace_dir
from app.workspace.worktree import Worktree

__all__ = ["Workspace", "Worktree", "cache_path"]  # Worktree: re-exported for existing callers

SAFE_JOB_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
SCP_LIKE = re.compile(r"^[^/]*:")
UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]")


def cache_path(clone_url: str) -> PurePosixPath:
    """The cache's place under `repos/`: host/owner/name.git, hashed when not that plain."""
    parts = urlsplit(clone_url)
    try:
        port = parts.port
    except ValueError:
        raise WorkspaceError(f"the clone URL has a bad port: {clone_url!r}") from None
    if parts.scheme in ("http", "https") and (parts.username or parts.password):
        raise WorkspaceError("the clone URL must not carry credentials; pass the token instead")
    if parts.scheme in ("http", "https", "ssh", "git") and parts.hostname:
        host = parts.hostname + (f"_{port}" if port else "")
        segments = [s for s in parts.path.split("/") if s]
    else:
        host, segments = "local", [s for s in parts.path.split("/") if s]
    if not segments:
        raise WorkspaceError(f"the clone URL names no repository: {clone_url!r}")
    raw = [host, segments[-2] if len(segments) > 1 else "_", segments[-1].removesuffix(".git")]
    safe = [UNSAFE_CHARS.sub("_", s).lstrip(".") or "_" for s in raw]
    if host == "local" or len(segments) != 2 or safe != raw:
        safe[2] += "-" + hashlib.sha256(clone_url.encode()).hexdigest()[:10]
    return PurePosixPath(safe[0], safe[1], safe[2] + ".git")


def _normalize_url(clone_url: str) -> str:
    if "://" in clone_url or SCP_LIKE.match(clone_url):
        return clone_url
    return Path(clone_url).resolve().as_posix()


class Workspace:
    """Repository caches and job worktrees under one data directory."""

    def __init__(
        self,
        data_dir: Path,
        *,
        git_name: str,
        git_email: str,
        pool_size: int = 2,
        git_timeout: float = 600.0,
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.git_timeout = git_timeout
        self.git_email = git_email
        self._identity = identity_env(git_name, git_email)
        self._locks: dict[Path, asyncio.Lock] = {}
        self._jobs = JobLocks(self.data_dir / "locks" / "jobs")
        self._pool = WorktreePool(self.data_dir / "pool", self.repos_dir, pool_size, self.run_git)

    @property
    def pool_size(self) -> int:
        return self._pool.size

    @property
    def repos_dir(self) -> Path:
        return self.data_dir / "repos"

    @property
    def worktrees_dir(self) -> Path:
        return self.data_dir / "worktrees"

    async def prepare(
        self,
        clone_url: str,
        *,
        token: Secret | None,
        base_branch: str,
        job_id: str,
        branch: str,
        existing_branch: bool = False,
    ) -> Worktree:
        """Fetch the repository into its cache and give the job a worktree on `branch`."""
        clone_url = _normalize_url(clone_url)
        cache = self.repos_dir / cache_path(clone_url)
        await self._check_names(job_id, branch, base_branch)
        start = branch if existing_branch else base_branch
        with self._jobs.claim(job_id):
            async with self.repo_lock(cache):
                await sweep(self.worktrees_dir, self._jobs, cache, self.run_git)
                await self._ensure_cache(cache, clone_url)
                await self._fetch(cache, clone_url, token)
                sha = await self._remote_branch_sha(cache, start, clone_url)
                tip = await self._fetched_tip(cache, branch)
                path = await self._clear_job_dir(cache, job_id)
                await self._check_branch_free(cache, branch)
                await self._checkout(cache, path, branch, sha)
            admin = await self._admin(path)
        return Worktree(path, branch, base_branch, sha, cache, admin, clone_url, self, tip)

    async def prepare_local(self, repo: Path, *, branch: str, job_id: str) -> Worktree:
        """A worktree of the user's own repository at its HEAD; the branch stays in that repo."""
        await self._check_names(job_id, branch)
        try:
            common = await self.run_git(
                "rev-parse", "--path-format=absolute", "--git-common-dir", cwd=repo
            )
            sha = (await self.run_git("rev-parse", "--verify", "HEAD^{commit}", cwd=repo)).strip()
        except WorkspaceError as exc:
            raise WorkspaceError(f"{repo} is not a git repository with commits: {exc}") from None
        current = (await self.run_git("branch", "--show-current", cwd=repo)).strip() or "HEAD"
        cache = Path(common.strip())
        with self._jobs.claim(job_id):
            async with self.repo_lock(cache):
                path = await self._clear_job_dir(cache, job_id, prune_all=False)
                await self._git_in(
                    cache, "worktree", "add", "-q", "--no-track", "-b", branch, str(path), sha
                )
            admin, digest = await self._admin(path), config_digest(cache)
        return Worktree(path, branch, current, sha, cache, admin, None, self, config=digest)

    async def release(self, worktree: Worktree) -> None:
        """Park a cleaned worktree in the idle pool when there is room, else delete it."""
        try:
            await self._release(worktree)
        finally:
            self._jobs.release(worktree.path.name)

    async def sweep(self) -> None:
        """Delete what killed jobs left in every cache (app/workspace/leftovers.py); at start."""
        for cache in sorted(self.repos_dir.glob("*/*/*.git")):
            async with self.repo_lock(cache):
                with contextlib.suppress(WorkspaceError):  # a refused cache stays refused
                    await sweep(self.worktrees_dir, self._jobs, cache, self.run_git)

    async def _release(self, worktree: Worktree) -> None:
        cache = worktree.cache_dir
        if worktree.clone_url is None:  # the user's repository: touch only our own entry
            async with self.repo_lock(cache):
                remove_linked_worktree(worktree.path, worktree.admin_dir, cache)
            return
        try:
            worktree.check_config()
        except WorkspaceError:
            force_rmtree(worktree.path)  # no git on it: the cache is refused until deleted
            raise
        parkable = await self._pool.clean(worktree.path, worktree.admin_dir)
        async with self.repo_lock(cache):
            if not (parkable and await self._pool.park(cache, worktree.path)):
                force_rmtree(worktree.path)
            await self._git_in(cache, "update-ref", "-d", f"refs/heads/{worktree.branch}")
            await self._git_in(cache, "worktree", "prune")

    @contextlib.asynccontextmanager
    async def repo_lock(self, cache: Path) -> AsyncIterator[None]:
        """Hold the repository's lock: in this process and, through flock, across processes."""
        async with self._locks.setdefault(cache, asyncio.Lock()):
            locks = self.data_dir / "locks"
            locks.mkdir(parents=True, exist_ok=True)
            name = hashlib.sha256(str(cache).encode()).hexdigest()[:16] + ".lock"
            fd = os.open(locks / name, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                await poll_flock(fd)
                yield
            finally:
                os.close(fd)

    async def run_git(
        self,
        *args: str,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        stdin: bytes | None = None,
    ) -> str:
        """Run git as this Workspace's identity (see git.py); WorkspaceError on failure."""
        return await run_git(
            *args,
            identity=self._identity,
            time_limit=self.git_timeout,
            cwd=cwd,
            env=env,
            stdin=stdin,
        )

    async def _admin(self, worktree_path: Path) -> Path:
        """The worktree's gitdir, read right after git created it (before any job ran in it)."""
        out = await self.run_git("rev-parse", "--absolute-git-dir", cwd=worktree_path)
        return Path(out.strip())

    async def _git_in(self, git_dir: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
        return await self.run_git("--git-dir", str(git_dir), *args, env=env)

    async def _check_names(self, job_id: str, *branches: str) -> None:
        if not SAFE_JOB_ID.fullmatch(job_id):
            raise WorkspaceError(f"job id {job_id!r} must be letters, digits, '.', '_' or '-'")
        for name in branches:
            try:
                await self.run_git("check-ref-format", "--branch", name)
            except WorkspaceError:
                raise WorkspaceError(f"{name!r} is not a valid branch name") from None

    async def _ensure_cache(self, cache: Path, clone_url: str) -> None:
        if (cache / "HEAD").is_file():
            check_config(cache)  # before any git reads it
            write_config(cache, clone_url)
            return
        cache.parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".{cache.name}-", dir=cache.parent))
        try:
            await self.run_git("init", "-q", "--bare", str(building))
            write_config(building, clone_url)
            replace_dir(building, cache)
        finally:
            force_rmtree(building)

    async def _fetch(self, cache: Path, clone_url: str, token: Secret | None) -> None:
        env = auth_env(clone_url, token)
        try:
            await self._git_in(
                cache, "-c", "gc.autoDetach=false", "fetch", "-q", "--prune", "origin", env=env
            )
        except WorkspaceError as exc:
            raise WorkspaceError(f"cannot fetch {clone_url}: {exc}") from None

    async def _remote_branch_sha(self, cache: Path, branch: str, clone_url: str) -> str:
        sha = await self._fetched_tip(cache, branch)
        if sha is None:
            raise WorkspaceError(f"branch {branch!r} not found in {clone_url}")
        return sha

    async def _fetched_tip(self, cache: Path, branch: str) -> str | None:
        """The commit origin/<branch> points at in the cache (just fetched); None if absent."""
        ref = f"refs/remotes/origin/{branch}^{{commit}}"
        try:
            return (await self._git_in(cache, "rev-parse", "--verify", "--quiet", ref)).strip()
        except WorkspaceError:
            return None

    async def _clear_job_dir(self, cache: Path, job_id: str, *, prune_all: bool = True) -> Path:
        """Delete what a previous attempt of this job left behind; return the job's path.

        In the user's own repository (`prune_all=False`) git prunes only if there was a stale
        directory of ours, so their other worktrees' records are left alone otherwise.
        """
        path = self.worktrees_dir / job_id
        stale = path.exists()
        force_rmtree(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if stale or prune_all:
            await self._git_in(cache, "worktree", "prune")
        return path

    async def _check_branch_free(self, cache: Path, branch: str) -> None:
        """Refuse a branch another worktree has checked out (git 2.39's `checkout -B` does not)."""
        listing = await self._git_in(cache, "worktree", "list", "--porcelain")
        if f"branch refs/heads/{branch}\n" in listing + "\n":
            raise WorkspaceError(f"branch {branch!r} is already checked out by another job")

    async def _checkout(self, cache: Path, path: Path, branch: str, sha: str) -> None:
        """Take over an idle worktree when one is parked, else add a fresh one."""
        if await self._pool.take_over(cache, path, branch, sha):
            return
        await self._git_in(
            cache, "worktree", "add", "-q", "--no-track", "-B", branch, str(path), sha
        )
