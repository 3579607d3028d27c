"""Worktree's change accounting: what git counts before any content is read."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from app.core.guards import FileChange
from app.workspace.workspace import Workspace
from tests.fakes.workspace_demo import prepare


async def test_file_changes_count_binary_files_by_their_bytes(
    workspace: Workspace, remote: Path
) -> None:
    worktree = await prepare(workspace, remote, "job-1", "honk/x")
    (worktree.path / "big.bin").write_bytes(b"\0\1\2" * 100_000)
    (worktree.path / "notes.txt").write_text("hello\n")
    (worktree.path / "README.md").unlink()

    changes = {change.path: change for change in await worktree.file_changes()}

    assert set(changes) == {"big.bin", "notes.txt", "README.md"}
    big = changes["big.bin"]
    assert (big.binary, big.new_bytes, len(big.sha)) == (True, 300_000, 40)
    assert (await worktree.blob_text(big.sha)).startswith("\0\1\2")
    assert changes["notes.txt"] == FileChange("notes.txt", False, 6, changes["notes.txt"].sha)
    assert changes["README.md"] == FileChange("README.md", False, 0, "")


async def test_diff_to_file_writes_the_whole_diff_and_gives_its_size(
    workspace: Workspace, remote: Path, tmp_path: Path
) -> None:
    worktree = await prepare(workspace, remote, "job-1", "honk/x")
    (worktree.path / "notes.txt").write_text("line\n" * 1000)
    out = tmp_path / "change.diff"

    size = await worktree.diff_to_file(out)

    assert size == out.stat().st_size == len((await worktree.diff()).encode())
    assert out.read_text().count("+line\n") == 1000


async def test_what_was_untracked_is_never_added_special_names_too(
    workspace: Workspace, remote: Path, tmp_path: Path
) -> None:
    worktree = await prepare(workspace, remote, "job-1", "honk/x")
    made = ["node_modules/x/index.js", "w.egg-info/PKG-INFO", "!odd [1]*?.txt", "#hash ", "a\\b"]
    made.append("build/ignored.o")  # ignored by the repository's .gitignore (`build/`)
    for name in made:
        (worktree.path / name).parent.mkdir(parents=True, exist_ok=True)
        (worktree.path / name).write_text("setup made me\n")
    await worktree.exclude_untracked(tmp_path / "excludes")
    (worktree.path / ".gitignore").write_text("")  # the agent un-ignores build/
    (worktree.path / "fix.py").write_text("print('the agent made me')\n")
    (worktree.path / "odd 1.txt").write_text("not excluded by the pattern of `!odd [1]*?.txt`\n")
    (worktree.path / "node_modules" / "later.js").write_text("inside an excluded directory\n")

    assert sorted(await worktree.changed_paths()) == [".gitignore", "fix.py", "odd 1.txt"]
    sha = await worktree.commit_all("the agent's change")
    assert sha is not None
    listed = await worktree.git("show", "--name-only", "--format=", sha)
    assert sorted(listed.splitlines()) == [".gitignore", "fix.py", "odd 1.txt"]


async def test_a_same_size_edit_in_the_checkouts_second_is_still_a_change(
    workspace: Workspace, remote: Path
) -> None:
    """Racy git: an edit that keeps a file's size and lands in the second of its checkout has
    the stat the index recorded; the copy of the index Honk adds through must keep the
    index's own time, or git takes the file for clean and the edit is lost."""
    for attempt in range(20):
        worktree = await prepare(workspace, remote, f"job-{attempt}", f"honk/racy-{attempt}")
        readme = worktree.path / "README.md"
        before = readme.stat()
        with readme.open("r+b") as file:  # in place: the same inode and size
            file.write(b"# DEMO\n")
        os.utime(readme, ns=(before.st_atime_ns, before.st_mtime_ns))
        index_second = int((worktree.admin_dir / "index").stat().st_mtime)
        seconds = {int(before.st_mtime), int(readme.stat().st_ctime), int(before.st_ctime)}
        if seconds == {index_second}:
            break
        await worktree.remove()
    else:
        pytest.fail("no checkout and edit fell in one second in 20 tries")
    while time.time() < index_second + 1:  # Honk looks in a later second than the checkout's
        await asyncio.sleep(0.05)

    assert await worktree.changed_paths() == ["README.md"]
    assert "+# DEMO" in await worktree.diff()
