"""The editor against a background process in the sandbox that swaps a directory for a symlink.

The attack (issue 8, point 1): the agent starts, in its persistent bash, a loop of
`renameat2(RENAME_EXCHANGE)` between a directory of the worktree and a symlink pointing outside,
then calls the editor through that directory. The editor runs on the host, so a path that is
checked and then opened again by name reads or writes outside. Real bubblewrap, both profiles.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from app.agent.editor import Editor
from app.core.errors import ToolError
from app.sandbox.sandbox import Profile
from app.sandbox.shell import ShellSession
from tests.fakes.sandbox_probe import BWRAP_PROFILES, job_worktree, sandbox_for

ROUNDS = 150
FLIPPER = (
    "python3 -c 'import ctypes\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    'while True: libc.renameat2(-100, b"d", -100, b"l", 2)\' >/dev/null 2>&1 &'
)


def snapshot(directory: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file under `directory`: inode, mtime and content (a rewrite changes the inode)."""
    found: dict[str, tuple[int, int, bytes]] = {}
    for path in sorted(directory.rglob("*")):
        info = path.lstat()
        content = path.read_bytes() if path.is_file() else b""
        found[str(path.relative_to(directory))] = (info.st_ino, info.st_mtime_ns, content)
    return found


@pytest.fixture(params=BWRAP_PROFILES)
async def flipping(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Path]:
    """A worktree whose `d` a sandboxed process keeps swapping with `l` -> outside."""
    profile: Profile = request.param
    root = job_worktree(tmp_path)
    (root / "d").mkdir()
    (root / "d" / "f.txt").write_text("inside old\n")
    (root / "l").symlink_to(tmp_path / "outside")
    async with await ShellSession.open(sandbox_for(profile), root) as shell:
        await shell.run(FLIPPER)
        await flipped_once(root)
        yield root


async def flipped_once(root: Path) -> None:
    """Wait (at most a minute, on a loaded machine) until the flipper has swapped once."""
    for _ in range(6000):
        if os.path.islink(root / "d"):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the flipper never swapped d and l")


def call(editor: Editor, params: dict[str, Any]) -> str:
    try:
        return editor.run(params)
    except ToolError as exc:
        return str(exc)


@pytest.mark.bwrap
async def test_a_flipping_directory_never_lets_the_editor_out(
    flipping: Path, tmp_path: Path
) -> None:
    canary = f"canary-{secrets.token_hex(8)}"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "f.txt").write_text(f"{canary} old\n")
    (outside / f"{canary}.txt").write_text(f"{canary}\n")
    before = snapshot(outside)
    editor = Editor(flipping)
    results: list[str] = []
    for number in range(ROUNDS):
        for params in (
            {"command": "view", "path": "d/f.txt"},
            {"command": "view", "path": "d"},
            {"command": "str_replace", "path": "d/f.txt", "old_str": "old", "new_str": "old"},
            {"command": "insert", "path": "d/f.txt", "insert_line": 0, "insert_text": "x"},
            {"command": "create", "path": f"d/new-{number}.txt", "file_text": "new\n"},
        ):
            results.append(call(editor, params))
    leaked = [result for result in results if canary in result]
    assert leaked == []
    assert snapshot(outside) == before
    assert any(result.startswith("Here's the result") for result in results)  # it did run
    assert any("outside the repository root" in result for result in results)  # and it flipped
