"""Each file a unified diff changes, before and after: `git apply` on a scratch copy.

The base content of every path the diff touches is read from the task's base commit (git
objects, not the agent's worktree) into a scratch repository outside it, where the diff is
applied; what the files hold then is their new content.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import WorkspaceError
from app.eval.diff_paths import touched_paths
from app.workspace.worktree import Worktree


@dataclass(frozen=True)
class PatchedFile:
    """One path the diff changes: its text at the base and after (None: absent)."""

    path: str
    before: str | None
    after: str | None


async def patched_files(tree: Worktree, patch: str) -> list[PatchedFile]:
    """The files `patch` changes against `tree`'s base commit; WorkspaceError when it does
    not apply there. Paths the diff only mentions come out unchanged and are left out."""
    run_git, data = tree.workspace.run_git, patch.encode("utf-8")
    with tempfile.TemporaryDirectory(prefix="honk-patch-") as tmp:
        scratch = Path(tmp)
        await run_git("init", "-q", str(scratch))
        paths = touched_paths(patch)
        before = {path: await _base_text(tree, path) for path in paths}
        await asyncio.to_thread(_write, scratch, before)
        try:
            await run_git("apply", "--whitespace=nowarn", "-", cwd=scratch, stdin=data)
        except WorkspaceError as exc:
            raise WorkspaceError(f"the reference fix does not apply at the base: {exc}") from None
        after = await asyncio.to_thread(_read, scratch, paths)
    return [
        PatchedFile(path, before[path], after[path])
        for path in paths
        if before[path] != after[path]
    ]


async def _base_text(tree: Worktree, path: str) -> str | None:
    try:
        return await tree.git("cat-file", "blob", f"{tree.base_sha}:{path}")
    except WorkspaceError:
        return None


def _write(root: Path, files: Mapping[str, str | None]) -> None:
    for path, text in files.items():
        if text is not None:
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_bytes(text.encode("utf-8"))


def _read(root: Path, paths: list[str]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for path in paths:
        file = root / path
        found[path] = file.read_bytes().decode("utf-8", "replace") if file.is_file() else None
    return found
