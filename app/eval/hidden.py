"""The hidden tests: put in place after the agent is gone, then run in the sandbox.

Built-in tasks write their hidden test files over the tree, beneath the root without
following a link the agent left (app/agent/beneath.py). SWE-bench tasks reset the files the
`test_patch` touches to the base commit, as SWE-bench's harness does, then apply it. The
verdict: the command exits 0 and does not time out.
"""

from __future__ import annotations

import asyncio
import os
import stat
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from app.agent import beneath
from app.core.errors import ToolError, WorkspaceError
from app.core.verdict import RepoTests
from app.eval.diff_paths import touched_paths
from app.eval.task import HiddenTests
from app.sandbox.sandbox import Bind, Sandbox
from app.workspace.worktree import Worktree

FILE_MODE = 0o644


@dataclass(frozen=True)
class HiddenRun:
    """The hidden tests' verdict on the tree the agent left, and the seconds they took."""

    tests: RepoTests
    seconds: float


async def run_hidden(
    sandbox: Sandbox,
    tree: Worktree,
    hidden: HiddenTests,
    *,
    env: Mapping[str, str],
    binds: Sequence[Bind],
    seconds: float,
) -> HiddenRun:
    """Put `hidden` in place in `tree` and run its command (at most `seconds`); a failure to
    put it in place fails the run (saying why) without running anything."""
    started = time.monotonic()
    try:
        await put_in_place(tree, hidden)
    except (WorkspaceError, ToolError, OSError) as exc:
        output = f"the hidden tests could not be put in place: {exc}"
        return HiddenRun(RepoTests(hidden.command, False, output), time.monotonic() - started)
    done = await sandbox.run(tree.path, hidden.command, timeout=seconds, env=env, binds=binds)
    passed = done.exit_code == 0 and not done.timed_out
    tests = RepoTests(hidden.command, passed, done.output, done.timed_out)
    return HiddenRun(tests, time.monotonic() - started)


async def put_in_place(tree: Worktree, hidden: HiddenTests) -> None:
    """Write the hidden files, or reset and apply the hidden test patch."""
    root = tree.path.resolve()
    for path, text in hidden.files.items():
        await asyncio.to_thread(write_beneath, root, path, text.encode("utf-8"))
    if hidden.patch:
        await _apply_test_patch(tree, root, hidden.patch)


async def _apply_test_patch(tree: Worktree, root: Path, patch: str) -> None:
    paths = touched_paths(patch)
    if not paths:
        raise WorkspaceError("the test patch names no file")
    listed = await tree.git("ls-tree", "-z", "--name-only", tree.base_sha, "--", *paths)
    at_base = [path for path in listed.split("\0") if path]
    for path in paths:
        if path not in at_base:
            await asyncio.to_thread(remove_beneath, root, path)
    if at_base:
        await tree.git("checkout", tree.base_sha, "--", *at_base)
    await tree.git("apply", "--whitespace=nowarn", "-", stdin=patch.encode("utf-8"))


def write_beneath(root: Path, path: str, data: bytes) -> None:
    """Create or replace the regular file `path` under `root`, never through an outside link."""
    place = beneath.locate(root, PurePosixPath(path))
    try:
        found = beneath.kind(place)
        if found is None:
            beneath.create_file(place, data)
        elif found == stat.S_IFREG:
            beneath.replace_file(place, data, FILE_MODE)
        else:
            raise ToolError(f"{path} is not a regular file in the tree")
    finally:
        place.close()


def remove_beneath(root: Path, path: str) -> None:
    """Remove the file or link `path` under `root`, if there is one."""
    place = beneath.locate(root, PurePosixPath(path))
    try:
        if beneath.kind(place) in (stat.S_IFREG, stat.S_IFLNK):
            os.unlink(place.name, dir_fd=place.parent)
    finally:
        place.close()
