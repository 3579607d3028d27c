"""One job's checkout: a linked worktree of a cache, its changes, commits and push.

Every git call passes `--git-dir`/`--work-tree` so a `.git` the agent rewrote is ignored, and
first checks the cache's config (app/workspace/cache_config.py); diffs
against the start commit include uncommitted and untracked files, through a copy of the index.

A force push is leased on an explicit sha, never on the shared cache's remote-tracking ref:
any job's fetch refreshes that ref, so a bare `--force-with-lease` could overwrite commits this
job never saw. `fetched_tip` is the branch's tip as this job's own fetch found it.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from app.core.config import Secret
from app.core.errors import WorkspaceError
from app.core.guards import FileChange
from app.workspace.cache_config import check_config, config_digest
from app.workspace.git import auth_env

CO_AUTHOR = re.compile(r"[^<>\n]+ <[^<>\s]+>")
FULL_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
SHA = re.compile(r"[0-9a-f]{4,64}")
NO_AUTO_GC = ("-c", "gc.auto=0", "-c", "maintenance.auto=false")  # gc runs in fetch, locked


class WorktreeOwner(Protocol):
    """What a Worktree needs of the Workspace that made it."""

    async def run_git(
        self,
        *args: str,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        stdin: bytes | None = None,
    ) -> str: ...

    def repo_lock(self, cache: Path) -> AbstractAsyncContextManager[None]: ...

    async def release(self, worktree: Worktree) -> None: ...


@dataclass(eq=False)
class Worktree:
    """One job's checkout: a linked worktree of the cache (or of the user's own repository)."""

    path: Path
    branch: str
    base_branch: str
    base_sha: str  # the commit the job started from: origin/<base> or the PR branch's head
    cache_dir: Path
    admin_dir: Path  # the worktree's gitdir inside the cache, as `git rev-parse --git-dir` says
    clone_url: str | None  # None for `prepare_local`: nothing to push, never pooled
    workspace: WorktreeOwner = field(repr=False)
    fetched_tip: str | None = None  # origin/<branch> at this job's fetch; None: no such branch
    config: str | None = None  # prepare_local: the digest of the user's config; else Honk's own
    excludes_file: Path | None = None  # what setup left untracked: never added (Honk's file)

    def check_config(self) -> None:
        """Refuse a cache whose config is not what Honk wrote (or the user had, when local)."""
        if self.config is None:
            check_config(self.cache_dir)
        elif config_digest(self.cache_dir) != self.config:
            raise WorkspaceError(
                f"the git config of {self.cache_dir} changed while the job ran; refusing to run "
                "git on the job's tree"
            )

    async def git(
        self, *args: str, env: Mapping[str, str] | None = None, stdin: bytes | None = None
    ) -> str:
        """Run git in this worktree (explicit --git-dir/--work-tree) and return its stdout.

        Only after checking the cache's config: the agent wrote the tree (and its attributes).
        """
        self.check_config()
        where: tuple[str, ...] = (
            "--git-dir",
            str(self.admin_dir),
            "--work-tree",
            str(self.path),
            *NO_AUTO_GC,
        )
        if self.excludes_file is not None:
            where += ("-c", f"core.excludesFile={self.excludes_file}")
        return await self.workspace.run_git(*where, *args, cwd=self.path, env=env, stdin=stdin)

    async def has_changes(self) -> bool:
        """Whether the worktree holds anything `commit_all` would commit."""
        return bool(await self.git("status", "--porcelain"))

    async def exclude_untracked(self, excludes: Path) -> None:
        """Leave what is untracked now (what setup made) out of every later add, diff and commit.

        The patterns go to `excludes`, a file of Honk's outside the worktree, given to git on
        its command line; an untracked directory is left out as a whole. Ignored files count
        too, so an edit of `.gitignore` cannot bring them back.
        """
        out = await self.git("ls-files", "--others", "--directory", "-z")
        paths = [path for path in out.split("\0") if path and "\n" not in path]
        text = "".join(f"{exclude_pattern(path)}\n" for path in paths)
        await asyncio.to_thread(excludes.write_text, text)
        self.excludes_file = excludes

    async def commit_all(self, message: str, *, co_authors: Sequence[str] = ()) -> str | None:
        """Commit everything as the Workspace identity; the new sha, or None if nothing changed."""
        bad = [name for name in co_authors if not CO_AUTHOR.fullmatch(name)]
        if bad:
            raise WorkspaceError(f"co-authors must look like 'Name <email>': {bad!r}")
        await self.git("add", "-A")
        if not await self.git("diff", "--cached", "--name-only"):
            return None
        trailers = "".join(f"\nCo-authored-by: {name}" for name in co_authors)
        text = message.strip() + ("\n" + trailers if trailers else "") + "\n"
        await self.git(
            "commit", "-q", "--no-verify", "--cleanup=whitespace", "-F", "-", stdin=text.encode()
        )
        return await self.head_sha()

    async def head_sha(self) -> str:
        return (await self.git("rev-parse", "--verify", "HEAD")).strip()

    async def diff_stat(self) -> str:
        """`git diff --stat` from base_sha to the worktree as it is (committed or not)."""
        return await self.git("diff", "--stat", "--no-color", self.base_sha, await self._tree())

    async def diff(self) -> str:
        """The full diff from base_sha to the worktree as it is, untracked files included."""
        tree = await self._tree()
        return await self.git(
            "diff", "--no-color", "--no-ext-diff", "--no-textconv",
            "--src-prefix=a/", "--dst-prefix=b/", self.base_sha, tree,
        )  # fmt: skip

    async def diff_to_file(self, path: Path) -> int:
        """Write `diff()` to `path` (nothing of it is held in memory); returns its size in bytes."""
        tree = await self._tree()
        await self.git(
            "diff", "--no-color", "--no-ext-diff", "--no-textconv", "--src-prefix=a/",
            "--dst-prefix=b/", f"--output={path}", self.base_sha, tree,
        )  # fmt: skip
        return os.stat(path).st_size  # one syscall on a local file

    async def file_changes(self) -> list[FileChange]:
        """Each changed file as git counts it (`--numstat`, blob sizes), before reading any."""
        tree = await self._tree()
        common = ("--no-renames", "--no-ext-diff", "--no-textconv", "-z", self.base_sha, tree)
        numstat = (await self.git("diff", "--numstat", *common)).split("\0")
        binary = {rec.split("\t", 2)[2] for rec in numstat if rec.startswith("-\t-\t")}
        raw = (await self.git("diff", "--raw", "--no-abbrev", *common)).split("\0")
        blobs = {path: meta.split()[3] for meta, path in zip(raw[::2], raw[1::2], strict=False)}
        sizes = await self.blob_sizes(list(blobs.values()))
        return [
            FileChange(path, path in binary, sizes.get(sha, 0), sha if sha in sizes else "")
            for path, sha in blobs.items()
        ]

    async def blob_sizes(self, shas: Sequence[str]) -> dict[str, int]:
        """Bytes of each blob by sha (a deleted file's zero sha or a submodule's commit: absent)."""
        wanted = [sha for sha in shas if FULL_SHA.fullmatch(sha) and sha.strip("0")]
        if not wanted:
            return {}
        out = await self.git(
            "cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize)",
            stdin="\n".join(wanted).encode() + b"\n",
        )  # fmt: skip
        found = (line.split() for line in out.splitlines())
        return {f[0]: int(f[2]) for f in found if len(f) == 3 and f[1] == "blob"}

    async def blob_text(self, sha: str) -> str:
        """A blob's content, decoded leniently (for scanning; bytes that are not UTF-8 become �)."""
        if not FULL_SHA.fullmatch(sha):
            raise ValueError(f"not a blob sha: {sha!r}")
        return await self.git("cat-file", "blob", sha)

    async def changed_paths(self) -> list[str]:
        """Paths changed since base_sha (both sides of a rename), committed or not."""
        tree = await self._tree()
        out = await self.git("diff", "--name-only", "--no-renames", "-z", self.base_sha, tree)
        return [p for p in out.split("\0") if p]

    async def push(
        self, *, token: Secret | None, expect: str | None = None, force: bool = False
    ) -> None:
        """Push `branch` to origin: a fast-forward, or with `force` a rewrite leased on `expect`.

        `expect` is the sha the remote branch must still have ("" = it must not exist), for
        instance `await remote_tip()`; `force` without it raises ValueError (no guessing).
        """
        if self.clone_url is None:
            raise WorkspaceError("a local worktree has no origin to push to")
        ref = f"refs/heads/{self.branch}"
        lease = lease_option(ref, expect, force=force)
        env = auth_env(self.clone_url, token)
        async with self.workspace.repo_lock(self.cache_dir):
            await self.git("push", "-q", *lease, "origin", f"{ref}:{ref}", env=env)

    async def remote_tip(self) -> str | None:
        """The sha origin had for `branch` as of this job's fetch; None if it had no such branch.

        Recorded when the job's worktree was prepared, so a later fetch by another job sharing
        the cache does not move it: pass it as `push(expect=...)`.
        """
        if self.clone_url is None:
            raise WorkspaceError("a local worktree has no origin")
        return self.fetched_tip

    async def author_email(self, sha: str) -> str:
        """The author email of commit `sha`, as recorded (a `.mailmap` does not change it)."""
        if not SHA.fullmatch(sha):
            raise ValueError(f"not a commit sha: {sha!r}")
        return (await self.git("log", "-1", "--format=%ae", sha, "--")).strip()

    async def remove(self) -> None:
        """Remove this worktree (or park it, cleaned, in the idle pool); its directory is gone."""
        await self.workspace.release(self)

    async def _tree(self) -> str:
        """Write the worktree's current content as a tree, through a copy of its index.

        The copy keeps the index's own time (`copy2`): git's racy-clean check compares a
        file's time with the index's, and a newer copy would let a same-size edit made in the
        second of the checkout pass for clean."""
        with tempfile.TemporaryDirectory(prefix="honk-index-") as tmp:
            index = Path(tmp) / "index"
            shutil.copy2(self.admin_dir / "index", index)
            env = {"GIT_INDEX_FILE": str(index)}
            await self.git("add", "-A", env=env)
            return (await self.git("write-tree", env=env)).strip()


def exclude_pattern(path: str) -> str:
    """A gitignore line matching exactly `path` from the top (a trailing `/`: a directory)."""
    return "/" + re.sub(r"([\\*?\[\]!# ])", r"\\\1", path)


def lease_option(ref: str, expect: str | None, *, force: bool) -> list[str]:
    """The push option that makes `force` safe: the remote `ref` must still be at `expect`."""
    if not force:
        if expect is not None:
            raise ValueError("expect is only for force=True; a plain push fast-forwards")
        return []
    if expect is None:
        raise ValueError("force=True needs expect: the sha the remote branch must still have")
    if expect and not FULL_SHA.fullmatch(expect):
        raise ValueError(f"expect must be a full commit sha or '' (no branch): {expect!r}")
    return [f"--force-with-lease={ref}:{expect}"]
